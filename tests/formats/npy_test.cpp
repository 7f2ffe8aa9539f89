// .npy files as numpy writes them: every dtype MultiBench uses, both byte orders, C and Fortran
// order, header versions 1 to 3, and the broken files a user may hand sm4.
#include <catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "core/errors.h"
#include "formats/npy.h"
#include "format_fixtures.h"

using namespace sm4;
using sm4::test::format_fixture;
using Catch::Matchers::Contains;

namespace {

void check_ramp(const NumpyArray& array, const sm4::test::RampDType& dtype) {
    REQUIRE(array.shape == std::vector<std::int64_t>{2, 3, 4});
    REQUIRE(array.type == dtype.type);
    const auto as_float = array.to_float32();
    const auto as_double = array.to_float64();
    REQUIRE(as_float.size() == 24);
    for (std::int64_t i = 0; i < 24; ++i) {
        INFO("element " << i);
        const double expected = dtype.integer ? static_cast<double>(dtype.integer(i)) : dtype.real(i);
        CHECK(as_double[i] == expected);
        CHECK(as_float[i] == static_cast<float>(dtype.integer ? static_cast<float>(dtype.integer(i)) : expected));
    }
    if (dtype.integer) {
        const auto as_int = array.to_int64();
        for (std::int64_t i = 0; i < 24; ++i) CHECK(as_int[i] == dtype.integer(i));
    }
}

// A version 1.0 .npy image with the given header dict and payload.
std::vector<std::uint8_t> npy_image(const std::string& header, const std::vector<std::uint8_t>& payload) {
    std::string text = header;
    while ((10 + text.size() + 1) % 64 != 0) text += ' ';
    text += '\n';
    std::vector<std::uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<std::uint8_t>(text.size()),
                                       static_cast<std::uint8_t>(text.size() >> 8)};
    bytes.insert(bytes.end(), text.begin(), text.end());
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    return bytes;
}

}  // namespace

TEST_CASE("npy: every dtype, byte order and memory order reads to the expected values", "[formats]") {
    for (const auto& dtype : sm4::test::ramp_dtypes())
        for (const auto& prefix : sm4::test::byte_order_prefixes(dtype))
            for (const char* order : {"C", "F"}) {
                const std::string name = prefix + dtype.tag + "_" + order + ".npy";
                INFO(name);
                const NumpyArray array = read_npy_file(format_fixture(name));
                CHECK(array.source == format_fixture(name).string());
                check_ramp(array, dtype);
            }
}

TEST_CASE("npy: header versions 2.0 and 3.0, 0-d, empty and Python 2 headers", "[formats]") {
    const auto& f4 = sm4::test::ramp_dtypes()[10];
    REQUIRE(f4.tag == "f4");
    check_ramp(read_npy_file(format_fixture("v2_f4_C.npy")), f4);
    check_ramp(read_npy_file(format_fixture("v3_f4_F.npy")), f4);

    const NumpyArray scalar = read_npy_file(format_fixture("zero_d.npy"));
    CHECK(scalar.shape.empty());
    CHECK(scalar.to_float64() == std::vector<double>{7.5});

    const NumpyArray empty = read_npy_file(format_fixture("empty.npy"));
    CHECK(empty.shape == std::vector<std::int64_t>{0, 3});
    CHECK(empty.to_float32().empty());

    const NumpyArray py2 = read_npy_file(format_fixture("py2_header.npy"));
    CHECK(py2.shape == std::vector<std::int64_t>{2, 3});
    CHECK(py2.to_int64() == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("npy: float16 specials convert exactly", "[formats]") {
    // 1, -2, 65504 (largest), 2^-24 (smallest subnormal), 2^-14 (smallest normal), inf, -inf, NaN
    const std::vector<std::uint16_t> halves = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x7e00};
    std::vector<std::uint8_t> payload(halves.size() * 2);
    std::memcpy(payload.data(), halves.data(), payload.size());
    const auto image = npy_image("{'descr': '<f2', 'fortran_order': False, 'shape': (8,), }", payload);
    MemorySource source(image.data(), image.size());
    const auto values = read_npy(source, "halves.npy").to_float32();
    CHECK(values[0] == 1.0f);
    CHECK(values[1] == -2.0f);
    CHECK(values[2] == 65504.0f);
    CHECK(values[3] == std::ldexp(1.0f, -24));
    CHECK(values[4] == std::ldexp(1.0f, -14));
    CHECK(values[5] == std::numeric_limits<float>::infinity());
    CHECK(values[6] == -std::numeric_limits<float>::infinity());
    CHECK(std::isnan(values[7]));
}

TEST_CASE("npy: conversion to int64 is exact or refused naming the file and element", "[formats]") {
    const NumpyArray big = read_npy_file(format_fixture("u8_beyond_int64.npy"));
    CHECK(big.to_float64()[1] == 18446744073709551615.0);
    CHECK_THROWS_AS(big.to_int64(), DataError);
    CHECK_THROWS_WITH(big.to_int64(), Contains("u8_beyond_int64.npy: element 1 is 18446744073709551615") &&
                                          Contains("int64 range"));

    const NumpyArray fraction = read_npy_file(format_fixture("f4_fraction.npy"));
    CHECK_THROWS_WITH(fraction.to_int64(), Contains("f4_fraction.npy: element 1 is 2.5, not an integer"));
}

TEST_CASE("npy: broken or unsupported files are refused naming the file and the problem", "[formats]") {
    const auto refused = [](const std::string& name) { return [name] { read_npy_file(format_fixture(name)); }; };
    CHECK_THROWS_AS(refused("object.npy")(), DataError);
    CHECK_THROWS_WITH(refused("object.npy")(), Contains("object.npy: dtype '|O'") &&
                                                   Contains("object arrays are not supported"));
    CHECK_THROWS_WITH(refused("unicode.npy")(), Contains("unicode.npy: unsupported dtype '<U2'"));
    CHECK_THROWS_WITH(refused("structured.npy")(), Contains("structured.npy: structured dtypes"));
    CHECK_THROWS_WITH(refused("truncated.npy")(), Contains("truncated.npy: data holds 86 bytes but shape "
                                                           "[2, 3, 4] of float32 needs 96 (truncated)"));
    CHECK_THROWS_WITH(refused("bad_magic.npy")(), Contains("bad_magic.npy: not a .npy file") &&
                                                      Contains("found 504b0304"));
    CHECK_THROWS_WITH(refused("bad_header.npy")(), Contains("bad_header.npy: malformed header: expected ',' or ')'"));
    CHECK_THROWS_WITH(refused("bad_version.npy")(), Contains("bad_version.npy: unsupported .npy format version 9.0"));
    CHECK_THROWS_AS(refused("no_such_file.npy")(), IoError);
    CHECK_THROWS_WITH(refused("no_such_file.npy")(), Contains("no_such_file.npy: no such file"));
}

// Where the format fixtures live (written by tests/fixtures/make_format_fixtures.py) and the
// formulas their arrays were generated from, so the tests recompute every expected value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "formats/numpy_array.h"

namespace sm4::test {

inline std::filesystem::path format_fixture(const std::string& name) {
    return std::filesystem::path(SM4_SOURCE_DIR) / "tests" / "fixtures" / "formats" / name;
}

// One dtype of the ramp fixtures: shape [2, 3, 4], flat element i given by `integer` (integer
// and bool types) or `real` (float types). Mirrors DTYPES in make_format_fixtures.py.
struct RampDType {
    std::string tag;  // "u1", "f4", ... as in the file names
    NumpyType type;
    std::int64_t (*integer)(std::int64_t i);
    double (*real)(std::int64_t i);
};

inline const std::vector<RampDType>& ramp_dtypes() {
    static const std::vector<RampDType> dtypes = {
        {"b1", NumpyType::Bool, [](std::int64_t i) -> std::int64_t { return i % 3 == 0; }, nullptr},
        {"u1", NumpyType::UInt8, [](std::int64_t i) { return i * 11; }, nullptr},
        {"i1", NumpyType::Int8, [](std::int64_t i) { return (i - 12) * 10; }, nullptr},
        {"i2", NumpyType::Int16, [](std::int64_t i) { return (i - 12) * 1000; }, nullptr},
        {"u2", NumpyType::UInt16, [](std::int64_t i) { return i * 2000; }, nullptr},
        {"i4", NumpyType::Int32, [](std::int64_t i) { return (i - 12) * 100000000; }, nullptr},
        {"u4", NumpyType::UInt32, [](std::int64_t i) { return i * 150000000; }, nullptr},
        {"i8", NumpyType::Int64, [](std::int64_t i) { return (i - 12) * 100000000000000000; }, nullptr},
        {"u8", NumpyType::UInt64, [](std::int64_t i) { return i * 400000000000000000; }, nullptr},
        {"f2", NumpyType::Float16, nullptr, [](std::int64_t i) { return static_cast<double>(i - 12) * 0.5; }},
        {"f4", NumpyType::Float32, nullptr, [](std::int64_t i) { return static_cast<double>(i - 12) * 0.25; }},
        {"f8", NumpyType::Float64, nullptr, [](std::int64_t i) { return static_cast<double>(i - 12) * 0.125; }},
    };
    return dtypes;
}

// File name prefixes a dtype is stored under: one for 1-byte types, both byte orders otherwise.
inline std::vector<std::string> byte_order_prefixes(const RampDType& dtype) {
    if (numpy_itemsize(dtype.type) == 1) return {""};
    return {"le_", "be_"};
}

}  // namespace sm4::test

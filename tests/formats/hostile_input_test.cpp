// Inputs that claim more than they hold, or nest without end: each reader refuses them before
// allocating or recursing, naming the file and the numbers, and works in time linear in its input.
#include <catch.hpp>

#include <zlib.h>

#include <fstream>
#include <iterator>

#include "core/errors.h"
#include "formats/byte_source.h"
#include "formats/image_file.h"
#include "formats/npy.h"
#include "formats/npz.h"
#include "formats/pickle_reader.h"
#include "format_fixtures.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::format_fixture;
using Catch::Matchers::Contains;

namespace {

PickleValue read_bytes(const std::string& bytes) {
    MemorySource source(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    return read_pickle(source, "deep.pkl");
}

std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put_le32(std::string& bytes, std::size_t at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) bytes[at + static_cast<std::size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xff);
}

std::string be32(std::uint32_t value) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((value >> (8 * (3 - i))) & 0xff);
    return out;
}

std::string png_chunk(const std::string& type, const std::string& data) {
    const std::string body = type + data;
    const auto crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                                                      static_cast<uInt>(body.size())));
    return be32(static_cast<std::uint32_t>(data.size())) + body + be32(crc);
}

}  // namespace

TEST_CASE("pickle: a list nested a million deep loads in linear time and frees without recursion",
          "[formats][hostile]") {
    // What pickle.dumps of [[[...]]] 1,000,000 deep amounts to (protocol 2, no memo): 2 MB.
    constexpr std::size_t kDepth = 1000000;
    const std::string bytes = "\x80\x02" + std::string(kDepth, ']') + std::string(kDepth - 1, 'a') + ".";
    {
        const PickleValue root = read_bytes(bytes);
        PickleValue node = root;
        for (int i = 0; i < 5; ++i) {
            REQUIRE(node.size() == 1u);
            node = node.at(std::size_t{0});
        }
    }  // destroyed here: a recursive destructor would overflow the stack
    // A tuple key nested beyond the limit is refused by name, not recursed into.
    std::string deep_key = "\x80\x02}N";
    for (int i = 0; i < 1000; ++i) deep_key += "\x85";  // (((None,),),)... 1000 deep
    deep_key += "K\x01s.";
    CHECK_THROWS_WITH(read_bytes(deep_key), Contains("or a tuple key nested deeper than 100"));
}

TEST_CASE("npz: a member whose directory claims more than its bytes can expand to is refused", "[formats][hostile]") {
    test::TempDir dir;
    std::string bytes = slurp(format_fixture("compressed.npz"));
    // Every central-directory entry claims 2 GiB uncompressed (field at offset 24 of the entry).
    std::size_t entries = 0;
    for (std::size_t at = bytes.find("PK\x01\x02"); at != std::string::npos; at = bytes.find("PK\x01\x02", at + 4)) {
        put_le32(bytes, at + 24, 0x7fffffffu);
        ++entries;
    }
    REQUIRE(entries > 0);
    const auto path = dir / "claims.npz";
    std::ofstream(path, std::ios::binary) << bytes;
    const NpzArchive archive(path);
    const std::string first = archive.names().front();
    CHECK_THROWS_AS(archive.read(first), DataError);
    CHECK_THROWS_WITH(archive.read(first), Contains(path.string() + "/" + first) &&
                                               Contains("the directory claims 2147483647 uncompressed bytes from") &&
                                               Contains("more than deflate can hold"));
}

TEST_CASE("images: a PNG or JPEG header claiming a huge picture is refused before decoding", "[formats][hostile]") {
    test::TempDir dir;
    // A valid PNG signature and IHDR (CRC included) claiming 60000 x 60000 RGB pixels, 58 bytes in all.
    const std::string ihdr = be32(60000) + be32(60000) + std::string("\x08\x02\x00\x00\x00", 5);
    const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", "x") +
                            png_chunk("IEND", "");
    const auto png_path = dir / "huge.png";
    std::ofstream(png_path, std::ios::binary) << png;
    CHECK_THROWS_WITH(read_rgb_image(png_path),
                      Contains(png_path.string() + ": the header claims 60000 x 60000 pixels (10800000000 bytes of RGB) "
                                                   "from a 58-byte file"));
    // A real JPEG whose start-of-frame says 60000 x 60000.
    std::string jpeg = slurp(std::filesystem::path(SM4_SOURCE_DIR) /
                             "tests/fixtures/multibench/bad/enrico_truncated/screenshots/0.jpg");
    std::size_t sof = std::string::npos;
    for (const char* marker : {"\xff\xc0", "\xff\xc2", "\xff\xc1"})
        if ((sof = jpeg.find(marker)) != std::string::npos) break;
    REQUIRE(sof != std::string::npos);
    // FFCn, length (2), precision (1), height (2), width (2).
    for (std::size_t at : {sof + 5, sof + 7}) {
        jpeg[at] = static_cast<char>(0xea);
        jpeg[at + 1] = static_cast<char>(0x60);
    }
    const auto jpeg_path = dir / "huge.jpg";
    std::ofstream(jpeg_path, std::ios::binary) << jpeg;
    CHECK_THROWS_WITH(read_rgb_image(jpeg_path), Contains(jpeg_path.string() + ": the header claims 60000 x 60000 pixels"));
}

TEST_CASE("pickle: a container that holds itself is refused, and what it held is freed", "[formats][hostile]") {
    // A list put in the memo, fetched back and appended to itself.
    const std::string self_list("\x80\x02]q\x00h\x00" "a.", 9);
    CHECK_THROWS_WITH(read_bytes(self_list), Contains("deep.pkl: a container holds itself (a recursive structure)"));
    // A cycle left behind in the memo, outside the value returned, is freed too (leak checked
    // under AddressSanitizer: scripts/fuzz.sh pickle found it).
    CHECK(read_bytes(std::string("\x80\x02]q\x00h\x00" "aK\x07.", 11)).as_int() == 7);
    // The fuzzer's inputs: a MultiBench-like pickle whose memo ties a dict into a cycle (a leak),
    // and a dict key built by DUP and TUPLE from one tuple repeated at every level (its identity
    // grew exponentially: a timeout). Each is read or refused at once.
    for (const char* name : {"leak-memo-cycle.pkl", "timeout-repeated-tuple-key.pkl"}) {
        const auto finding = std::filesystem::path(SM4_SOURCE_DIR) / "tests/fixtures/fuzz/pickle" / name;
        try {
            (void)read_pickle_file(finding);
        } catch (const DataError& e) {
            CHECK_THAT(e.what(), Contains(finding.string()));
        }
    }
}

TEST_CASE("npy: a malformed header is quoted on one line, its control bytes escaped", "[formats][hostile]") {
    std::string header = "{'descr': '<f4',\n'fortran_order': \x01" "False, 'shape': (2,), }";
    header += std::string(64 - (10 + header.size() + 1) % 64, ' ') + "\n";
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
    bytes += static_cast<char>(header.size() & 0xff);
    bytes += static_cast<char>(header.size() >> 8);
    bytes += header + std::string(8, '\0');
    MemorySource source(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    try {
        (void)read_npy(source, "bad.npy");
        FAIL("expected a DataError");
    } catch (const DataError& e) {
        const std::string message = e.what();
        CHECK_THAT(message, Contains("bad.npy: malformed header") && Contains("\\x0a") && Contains("\\x01"));
        CHECK(message.find('\n') == std::string::npos);
        CHECK(message.find('\x01') == std::string::npos);
    }
}

// .npz archives as np.savez (stored) and np.savez_compressed (deflated) write them, ZIP64
// records, and the errors that name the archive and the member.
#include <catch.hpp>

#include "core/errors.h"
#include "formats/npz.h"
#include "format_fixtures.h"

using namespace sm4;
using sm4::test::format_fixture;
using Catch::Matchers::Contains;

TEST_CASE("npz: stored and deflated archives list and read their members", "[formats]") {
    for (const char* name : {"stored.npz", "compressed.npz"}) {
        INFO(name);
        const NpzArchive archive(format_fixture(name));
        CHECK(archive.names() == std::vector<std::string>{"train_data", "train_labels", "long"});
        CHECK(archive.contains("train_labels.npy"));
        CHECK_FALSE(archive.contains("test_data"));

        const NumpyArray data = archive.read("train_data");
        CHECK(data.source == format_fixture(name).string() + "/train_data.npy");
        CHECK(data.shape == std::vector<std::int64_t>{2, 3});
        CHECK(data.type == NumpyType::Int32);
        CHECK(data.to_int64() == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5});
        CHECK(archive.read("train_data.npy").to_int64() == data.to_int64());

        CHECK(archive.read("train_labels").to_int64() == std::vector<std::int64_t>{0, 1, 2, 3, 4});
        const auto values = archive.read("long").to_float32();
        REQUIRE(values.size() == 1000);
        for (std::size_t i = 0; i < values.size(); ++i) REQUIRE(values[i] == static_cast<float>(i) * 0.5f);
    }
}

TEST_CASE("npz: members described by ZIP64 records are found and read", "[formats]") {
    const NpzArchive archive(format_fixture("zip64.npz"));
    CHECK(archive.names() == std::vector<std::string>{"train_data"});
    CHECK(archive.read("train_data").to_int64() == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("npz: errors name the archive, the member and the problem", "[formats]") {
    const NpzArchive archive(format_fixture("stored.npz"));
    CHECK_THROWS_AS(archive.read("train_dat"), DataError);
    CHECK_THROWS_WITH(archive.read("train_dat"),
                      Contains("stored.npz: no member 'train_dat' (members: train_data, train_labels, long)") &&
                          Contains("did you mean 'train_data'"));

    const NpzArchive with_object(format_fixture("with_object.npz"));
    CHECK(with_object.read("numbers").to_int64() == std::vector<std::int64_t>{0, 1, 2});
    CHECK_THROWS_WITH(with_object.read("things"), Contains("with_object.npz/things.npy: dtype '|O'") &&
                                                      Contains("object arrays are not supported"));

    const NpzArchive corrupt(format_fixture("bad_crc.npz"));
    CHECK_THROWS_WITH(corrupt.read("train_data"), Contains("bad_crc.npz/train_data.npy: CRC-32 mismatch"));
    CHECK(corrupt.read("train_labels").to_int64().size() == 5);

    CHECK_THROWS_AS(NpzArchive(format_fixture("not_zip.npz")), DataError);
    CHECK_THROWS_WITH(NpzArchive(format_fixture("not_zip.npz")), Contains("not_zip.npz: not a ZIP archive"));
    CHECK_THROWS_AS(NpzArchive(format_fixture("missing.npz")), IoError);
}

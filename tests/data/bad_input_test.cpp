// Broken sources: each is refused with one message naming the file and the problem, and no
// output file is left behind. Fixtures are damaged copies of the real files.
#include <catch.hpp>

#include <fstream>

#include "core/config_loader.h"
#include "core/errors.h"
#include "core/text.h"
#include "data/file_bytes.h"
#include "data/preprocess.h"
#include "../support/run_command.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::TempDir;
using Catch::Matchers::Contains;

namespace {

const std::filesystem::path kFashion = "/usr/share/datasets/fashion-mnist";
const std::filesystem::path kSklearn = "/usr/lib/python3/dist-packages/sklearn/datasets/data";

void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
}

// A folder holding the four Fashion-MNIST files, decompressed; `damage` may change them.
std::filesystem::path fashion_copy(const TempDir& dir) {
    const auto folder = dir / "fashion";
    std::filesystem::create_directories(folder);
    for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                             "t10k-labels-idx1-ubyte"})
        write_bytes(folder / name, read_file_bytes(kFashion / (std::string(name) + ".gz")));
    return folder;
}

std::filesystem::path wine_copy(const TempDir& dir, const std::function<void(std::vector<std::string>&)>& edit) {
    const auto bytes = read_file_bytes(kSklearn / "wine_data.csv");
    auto lines = split(std::string(bytes.begin(), bytes.end()), '\n');
    edit(lines);
    const auto path = dir / "wine_data.csv";
    std::ofstream(path) << join(lines, "\n");
    return path;
}

template <class E>
std::string error_of(const std::string& dataset, const std::filesystem::path& source, const std::filesystem::path& out) {
    try {
        preprocess_dataset(dataset, source, out, load_config({}, {}).values);
    } catch (const E& e) {
        CHECK_FALSE(std::filesystem::exists(out));
        return e.what();
    }
    FAIL("expected an error");
    return "";
}

}  // namespace

TEST_CASE("bad input: a missing source names the path", "[data][errors]") {
    TempDir dir;
    CHECK_THAT(error_of<IoError>("wine", dir / "nowhere", dir / "out.h5"),
               Contains("nowhere: source of dataset 'wine' does not exist"));
    std::filesystem::create_directories(dir / "empty");
    CHECK_THAT(error_of<IoError>("fashion-mnist", dir / "empty", dir / "out.h5"),
               Contains("none of train-images-idx3-ubyte.gz, train-images-idx3-ubyte found"));
}

TEST_CASE("bad input: a truncated gzip file is refused", "[data][errors]") {
    TempDir dir;
    const auto folder = dir / "fashion";
    std::filesystem::create_directories(folder);
    for (const char* name : {"train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
        std::filesystem::copy_file(kFashion / name, folder / name);
    std::ifstream in(kFashion / "train-images-idx3-ubyte.gz", std::ios::binary);
    std::vector<char> half(1 << 20);
    in.read(half.data(), static_cast<std::streamsize>(half.size()));
    std::ofstream(folder / "train-images-idx3-ubyte.gz", std::ios::binary).write(half.data(), in.gcount());
    const std::string message = error_of<DataError>("fashion-mnist", folder, dir / "out.h5");
    CHECK_THAT(message, Contains("train-images-idx3-ubyte.gz: truncated or corrupt compressed data"));
}

TEST_CASE("bad input: a truncated IDX payload, a wrong rank and a label out of range", "[data][errors]") {
    TempDir dir;
    const auto folder = fashion_copy(dir);
    auto images = read_file_bytes(folder / "t10k-images-idx3-ubyte");
    const auto labels = read_file_bytes(folder / "t10k-labels-idx1-ubyte");

    images.resize(images.size() - 100);
    write_bytes(folder / "t10k-images-idx3-ubyte", images);
    CHECK_THAT(error_of<DataError>("fashion-mnist", folder, dir / "out.h5"),
               Contains("t10k-images-idx3-ubyte: header promises 7840000 values but the file holds 7839900"));

    write_bytes(folder / "t10k-images-idx3-ubyte", labels);  // a rank-1 file where images belong
    CHECK_THAT(error_of<DataError>("fashion-mnist", folder, dir / "out.h5"),
               Contains("t10k-images-idx3-ubyte: IDX rank 1 but expected 3"));

    write_bytes(folder / "t10k-images-idx3-ubyte", read_file_bytes(kFashion / "t10k-images-idx3-ubyte.gz"));
    auto bad_labels = labels;
    bad_labels[8 + 5] = 12;
    write_bytes(folder / "t10k-labels-idx1-ubyte", bad_labels);
    CHECK_THAT(error_of<DataError>("fashion-mnist", folder, dir / "out.h5"),
               Contains("t10k-labels-idx1-ubyte: label 12 of example 5 is outside [0, 10)"));
}

TEST_CASE("bad input: CSV rows of the wrong width, labels out of range, text where numbers belong",
          "[data][errors]") {
    TempDir dir;
    auto path = wine_copy(dir, [](auto& lines) { lines[3] += ",1.5"; });
    CHECK_THAT(error_of<DataError>("wine", path, dir / "out.h5"),
               Contains("wine_data.csv:4: 15 fields, expected 13 features and a label"));
    path = wine_copy(dir, [](auto& lines) { lines[10].back() = '7'; });
    CHECK_THAT(error_of<DataError>("wine", path, dir / "out.h5"),
               Contains("wine_data.csv:11: label 7 is outside the 3 classes [0, 3)"));
    path = wine_copy(dir, [](auto& lines) { lines[2] = "abcde" + lines[2].substr(lines[2].find(',')); });
    CHECK_THAT(error_of<DataError>("wine", path, dir / "out.h5"),
               Contains("wine_data.csv:3: field 1 is 'abcde', expected a number"));
    path = wine_copy(dir, [](auto& lines) { lines.resize(100); });
    CHECK_THAT(error_of<DataError>("wine", path, dir / "out.h5"),
               Contains("header promises 178 rows but the file holds 99"));
}

TEST_CASE("bad input: an unknown dataset name suggests the closest", "[data][errors]") {
    try {
        find_converter("fashion");
        FAIL("expected a UsageError");
    } catch (const UsageError& e) {
        CHECK_THAT(e.what(), Contains("unknown dataset 'fashion' (did you mean 'fashion-mnist'?)"));
        CHECK_THAT(e.what(), Contains("known datasets: fashion-mnist, digits-av, breast-cancer, wine"));
    }
}

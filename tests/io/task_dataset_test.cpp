#include <catch.hpp>

#include <H5Cpp.h>

#include <cmath>

#include "core/errors.h"
#include "io/task_dataset.h"
#include "../support/run_command.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::TempDir;
using Catch::Matchers::Contains;

namespace {

FloatArray ramp(std::vector<std::int64_t> shape, float scale) {
    FloatArray a;
    a.shape = std::move(shape);
    const auto n = static_cast<std::size_t>(a.rows() * a.row_size());
    for (std::size_t i = 0; i < n; ++i) a.values.push_back(std::fmod(static_cast<float>(i) * scale, 1.0f));
    return a;
}

// Two modalities (an image and a sequence) and three classes, with 6/2/2 examples.
TaskDataset small_dataset() {
    TaskDataset d;
    d.task = "toy";
    d.task_type = TaskType::Classification;
    d.num_outputs = 3;
    d.source = "made by the test";
    d.class_names = {"a", "b", "c"};
    d.seed = 5;
    d.created_by = "test";
    d.modalities = {{"image", "image", false, {0.5f}, {0.25f}}, {"motion", "timeseries", true, {1, 2, 3}, {4, 5, 6}}};
    int n = 6;
    for (SplitArrays* s : {&d.train, &d.val, &d.test}) {
        s->modalities = {ramp({n, 1, 4, 4}, 0.01f), ramp({n, 5, 3}, 0.37f)};
        for (int i = 0; i < n; ++i) s->class_labels.push_back(i % 3);
        n = 2;
    }
    return d;
}

std::string data_error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const DataError& e) {
        return e.what();
    }
    FAIL("expected a DataError");
    return "";
}

}  // namespace

TEST_CASE("dataset file: what is written is read back exactly", "[io]") {
    TempDir dir;
    const TaskDataset original = small_dataset();
    write_task_dataset(original, dir / "toy.h5");
    const TaskDataset read = read_task_dataset(dir / "toy.h5");
    CHECK(read.task == "toy");
    CHECK(read.task_type == TaskType::Classification);
    CHECK(read.num_outputs == 3);
    CHECK(read.class_names == original.class_names);
    CHECK(read.seed == 5);
    REQUIRE(read.modalities.size() == 2);
    CHECK(read.modalities[1].name == "motion");
    CHECK(read.modalities[1].kind == "timeseries");
    CHECK(read.modalities[1].standardized);
    CHECK(read.modalities[1].mean == std::vector<float>{1, 2, 3});
    CHECK(read.modalities[0].std == std::vector<float>{0.25f});
    for (const Split split : kSplits) {
        for (std::size_t j = 0; j < 2; ++j) {
            CHECK(read.split(split).modalities[j].shape == original.split(split).modalities[j].shape);
            CHECK(read.split(split).modalities[j].values == original.split(split).modalities[j].values);
        }
        CHECK(read.split(split).class_labels == original.split(split).class_labels);
    }
    CHECK(dir.entries() == std::vector<std::string>{"toy.h5"});
}

TEST_CASE("dataset file: regression targets round-trip as float32 [N, D]", "[io]") {
    TempDir dir;
    TaskDataset d = small_dataset();
    d.task_type = TaskType::Regression;
    d.num_outputs = 2;
    d.class_names.clear();
    for (SplitArrays* s : {&d.train, &d.val, &d.test}) {
        s->targets = ramp({s->size(), 2}, 0.3f);
        s->class_labels.clear();
    }
    write_task_dataset(d, dir / "reg.h5");
    const TaskDataset read = read_task_dataset(dir / "reg.h5");
    CHECK(read.task_type == TaskType::Regression);
    CHECK(read.train.targets.shape == std::vector<std::int64_t>{6, 2});
    CHECK(read.train.targets.values == d.train.targets.values);
}

TEST_CASE("dataset file: a header-only read gives shapes and labels without the arrays", "[io]") {
    TempDir dir;
    write_task_dataset(small_dataset(), dir / "toy.h5");
    const TaskDataset header = read_task_dataset(dir / "toy.h5", false);
    CHECK(header.train.modalities[0].shape == std::vector<std::int64_t>{6, 1, 4, 4});
    CHECK(header.train.modalities[0].values.empty());
    CHECK(header.test.class_labels.size() == 2);
}

TEST_CASE("dataset file: invalid contents are refused and nothing is left behind", "[io]") {
    TempDir dir;
    const auto out = dir / "bad.h5";

    TaskDataset label = small_dataset();
    label.val.class_labels[1] = 7;
    CHECK_THAT(data_error_of([&] { write_task_dataset(label, out); }),
               Contains(":/val/labels: label 7 of example 1 is outside [0, 3)"));

    TaskDataset rows = small_dataset();
    rows.train.modalities[1] = ramp({5, 5, 3}, 0.1f);
    CHECK_THAT(data_error_of([&] { write_task_dataset(rows, out); }), Contains("/train/motion: 5 rows but the split has 6"));

    TaskDataset shape = small_dataset();
    shape.test.modalities[0] = ramp({2, 1, 4, 5}, 0.1f);
    CHECK_THAT(data_error_of([&] { write_task_dataset(shape, out); }),
               Contains("/test/image: shape [2, 1, 4, 5] disagrees with the train split's [6, 1, 4, 4]"));

    TaskDataset range = small_dataset();
    range.train.modalities[0].values[3] = 1.5f;
    CHECK_THAT(data_error_of([&] { write_task_dataset(range, out); }), Contains("image value 1.5 at flat index 3 is outside [0, 1]"));

    TaskDataset nan = small_dataset();
    nan.val.modalities[1].values[0] = std::nanf("");
    CHECK_THAT(data_error_of([&] { write_task_dataset(nan, out); }), Contains("/val/motion: value nan at flat index 0 is not finite"));

    CHECK(dir.entries().empty());
}

TEST_CASE("dataset file: files that are not sm4 datasets are refused by name", "[io]") {
    TempDir dir;
    {
        H5::H5File plain((dir / "plain.h5").string(), H5F_ACC_TRUNC);
        plain.createGroup("train");
    }
    CHECK_THAT(data_error_of([&] { read_task_dataset(dir / "plain.h5"); }),
               Contains("plain.h5: root attribute 'sm4_format' is missing"));
    std::ofstream(dir / "text.h5") << "not hdf5";
    CHECK_THAT(data_error_of([&] { read_task_dataset(dir / "text.h5"); }), Contains("text.h5: not an HDF5 file"));
    CHECK_THROWS_AS(read_task_dataset(dir / "missing.h5"), IoError);
}

TEST_CASE("dataset file: h5py reads the layout documented in datasets/FORMAT.md", "[io][h5py]") {
    TempDir dir;
    write_task_dataset(small_dataset(), dir / "toy.h5");
    const auto result = sm4::test::run_command(std::string("/usr/bin/python3 ") + SM4_SOURCE_DIR +
                                               "/tests/tools/check_dataset_layout.py " + (dir / "toy.h5").string() +
                                               " --task toy --examples 10 --per-class 4,4,2");
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Contains("layout ok"));
}

TEST_CASE("dataset file: a dataset declaring more than the file holds is refused before allocating", "[io][hostile]") {
    TempDir dir;
    const auto path = dir / "claims.h5";
    write_task_dataset(small_dataset(), path);
    {
        // Replace train/image by a float32 dataset declared [48, 2^31] with nothing written.
        H5::H5File file(path.string(), H5F_ACC_RDWR);
        H5::Group train = file.openGroup("train");
        train.unlink("image");
        const hsize_t dims[2] = {48, hsize_t{1} << 31};
        const hsize_t chunk[2] = {1, 1024};
        H5::DSetCreatPropList layout;
        layout.setChunk(2, chunk);
        layout.setDeflate(4);
        H5::DataSet claimed = train.createDataSet("image", H5::PredType::NATIVE_FLOAT, H5::DataSpace(2, dims), layout);
        const H5::StrType text(H5::PredType::C_S1, H5T_VARIABLE);
        claimed.createAttribute("kind", text, H5::DataSpace(H5S_SCALAR)).write(text, std::string("image"));
    }
    REQUIRE(std::filesystem::file_size(path) < 100000);
    CHECK(data_error_of([&] { read_task_dataset(path); }) ==
          path.string() + ":/train/image: declares shape [48, 2147483648] (412.3 GB) but the file holds 0 bytes for "
                          "it (compressed, at most 1100x); refusing to read it");
    // `sm4 inspect` says the same, as one line, with a non-zero exit.
    const auto inspected = sm4::test::run_sm4("inspect " + path.string());
    CHECK(inspected.exit_code != 0);
    CHECK_THAT(inspected.err, Contains("declares shape [48, 2147483648]") && !Contains("internal error"));
}

TEST_CASE("dataset file: a corrupt dataset layout (a fuzzer's finding) is refused naming the file", "[io][hostile]") {
    const auto path = std::filesystem::path(SM4_SOURCE_DIR) / "tests/fixtures/fuzz/dataset_h5/corrupt-layout.h5";
    CHECK_THAT(data_error_of([&] { read_task_dataset(path); }), Contains(path.string() + ":"));
}

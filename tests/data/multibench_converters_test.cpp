// `sm4 preprocess` on tiny format-exact copies of MultiBench's raw files: each converter writes
// exactly the arrays tests/fixtures/make_multibench_fixtures.py computed in numpy the way
// MultiBench and HighMMT preprocess them, and every broken copy fails naming the file and the
// key, leaving nothing behind.
#include <catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "core/config_loader.h"
#include "core/errors.h"
#include "data/converters.h"
#include "data/preprocess.h"
#include "formats/npz.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::TempDir;
using Catch::Matchers::Contains;

namespace {

std::filesystem::path fixture(const std::string& name) {
    return std::filesystem::path(SM4_SOURCE_DIR) / "tests" / "fixtures" / "multibench" / name;
}

Config fresh_config() { return load_config({}, {}).values; }

// Bit for bit: the fixtures repeat sm4's float32 arithmetic. A uint8 expectation holds 8-bit
// pictures, stored by the converter as value / 255 (ToTensor). With a tolerance (libm's tanh
// against numpy's), values may differ by that much.
void check_values(const std::vector<float>& actual, const NumpyArray& expected, float tolerance = 0.0f) {
    INFO(expected.source);
    REQUIRE((expected.type == NumpyType::Float32 || expected.type == NumpyType::UInt8));
    std::vector<float> values = expected.to_float32();
    if (expected.type == NumpyType::UInt8)
        for (float& v : values) v /= 255.0f;
    REQUIRE(actual.size() == values.size());
    std::size_t differing = 0, first = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const bool same = tolerance > 0.0f ? std::fabs(actual[i] - values[i]) <= tolerance
                                           : std::memcmp(&actual[i], &values[i], sizeof(float)) == 0;
        if (!same && differing++ == 0) first = i;
    }
    INFO("first difference at flat index " << first << ": " << actual[first] << " instead of " << values[first]);
    CHECK(differing == 0);
}

// Converts `dataset` from `source` into a fresh file, reads the file back and compares every
// split, label and statistic with expected_<expected>.npz.
TaskDataset convert_and_check(const std::string& dataset, const std::filesystem::path& source,
                              const std::string& expected, const std::string& loose_modality = "",
                              float tolerance = 0.0f) {
    TempDir dir;
    preprocess_dataset(dataset, source, dir / "out.h5", fresh_config());
    TaskDataset d = read_task_dataset(dir / "out.h5");
    const NpzArchive npz(fixture("expected_" + expected + ".npz"));
    for (const Split split : kSplits) {
        const SplitArrays& s = d.split(split);
        for (std::size_t j = 0; j < d.modalities.size(); ++j) {
            const NumpyArray want = npz.read(to_string(split) + "_" + d.modalities[j].name);
            CHECK(s.modalities[j].shape == want.shape);
            check_values(s.modalities[j].values, want, d.modalities[j].name == loose_modality ? tolerance : 0.0f);
        }
        if (has_class_labels(d.task_type)) {
            CHECK(s.class_labels == npz.read(to_string(split) + "_labels").to_int64());
        } else {
            const NumpyArray want = npz.read(to_string(split) + "_labels");
            CHECK(s.targets.shape == want.shape);
            check_values(s.targets.values, want);
        }
    }
    for (const auto& m : d.modalities) {
        const float t = m.name == loose_modality ? tolerance : 0.0f;
        check_values(m.mean, npz.read(m.name + "_mean"), t);
        check_values(m.std, npz.read(m.name + "_std"), t);
    }
    CHECK(d.task == dataset);
    return d;
}

std::vector<std::int64_t> expected_counts(const std::string& expected) {
    return NpzArchive(fixture("expected_" + expected + ".npz")).read("counts").to_int64();
}

struct ModalityExpectation {
    const char* name;
    const char* kind;
    bool standardized;
};

void check_modalities(const TaskDataset& d, const std::vector<ModalityExpectation>& expected) {
    REQUIRE(d.modalities.size() == expected.size());
    for (std::size_t j = 0; j < expected.size(); ++j) {
        CHECK(d.modalities[j].name == expected[j].name);
        CHECK(d.modalities[j].kind == expected[j].kind);
        CHECK(d.modalities[j].standardized == expected[j].standardized);
    }
}

}  // namespace

TEST_CASE("avmnist: flat uint8 images scaled to [0, 1], standardised spectrograms, the last twelfth validates",
          "[multibench]") {
    const TaskDataset d = convert_and_check("avmnist", fixture("avmnist"), "avmnist");
    check_modalities(d, {{"image", "image", false}, {"audio", "audio", true}});
    CHECK(d.task_type == TaskType::Classification);
    CHECK(d.num_outputs == 10);
    CHECK(d.train.size() == 11);
    CHECK(d.val.size() == 1);
    CHECK(d.test.size() == 4);
    CHECK_THAT(d.source, Contains("image scaled by 1/255, audio scaled by 1/255"));
}

TEST_CASE("avmnist: images already in [0, 1] stay as stored, integer spectrograms are scaled", "[multibench]") {
    const TaskDataset d = convert_and_check("avmnist", fixture("avmnist_unit"), "avmnist_unit");
    CHECK(d.train.modalities[1].shape == std::vector<std::int64_t>{2, 1, 8, 8});  // from [N, 64]
    CHECK_THAT(d.source, Contains("image as stored, audio scaled by 1/255"));
}

TEST_CASE("avmnist: MultiBench's 5,000 of 60,000 validate; small sources hold out one in twelve", "[multibench]") {
    CHECK(avmnist_validation_count(60000) == 5000);
    CHECK(avmnist_validation_count(10000) == 5000);
    CHECK(avmnist_validation_count(9999) == 834);
    CHECK(avmnist_validation_count(12) == 1);
    CHECK(avmnist_validation_count(13) == 2);
    CHECK(avmnist_validation_count(2) == 1);
}

TEST_CASE("mosei and mosi: aligned to the first word, 50 steps, non-finite values zeroed and counted",
          "[multibench]") {
    const auto counts = expected_counts("mosei");  // vision, audio, text, dropped, cut
    for (const char* dataset : {"mosei", "mosi"}) {
        INFO(dataset);
        const TaskDataset d = convert_and_check(dataset, fixture("mosei.pkl"), "mosei");
        check_modalities(d, {{"vision", "video", false}, {"audio", "audio", false}, {"text", "text", false}});
        CHECK(d.task_type == TaskType::Binary);
        CHECK(d.train.modalities[2].shape == std::vector<std::int64_t>{4, 50, 4});
        const std::string report = describe_dataset(d);
        CHECK_THAT(report, Contains(fmt::format("non-finite values set to 0: {} (vision {}, audio {}, text {})",
                                                counts[0] + counts[1] + counts[2], counts[0], counts[1], counts[2])));
        CHECK_THAT(report, Contains(fmt::format("dropped (no text): {}", counts[3])));
        CHECK_THAT(report, Contains(fmt::format("longer than 50 steps (cut): {}", counts[4])));
    }
}

TEST_CASE("urfunny and mustard: 0/1 labels kept, float64 features, the pickle found in its folder",
          "[multibench]") {
    const auto counts = expected_counts("urfunny");
    const TaskDataset d = convert_and_check("urfunny", fixture(""), "urfunny");  // the folder: finds humor.pkl
    CHECK_THAT(d.source, Contains("humor.pkl"));
    CHECK_THAT(d.source, Contains(fmt::format("(vision {}, audio {}, text {})", counts[0], counts[1], counts[2])));
    convert_and_check("mustard", fixture("humor.pkl"), "urfunny");
}

TEST_CASE("mimic: static table and hourly series standardised on train, MultiBench's seed-10 split",
          "[multibench]") {
    const auto counts = expected_counts("mimic");  // static, timeseries
    const TaskDataset d = convert_and_check("mimic", fixture("im.pk"), "mimic");
    check_modalities(d, {{"static", "table", true}, {"timeseries", "timeseries", true}});
    CHECK(d.train.size() == 8);
    CHECK(d.val.size() == 1);
    CHECK(d.test.size() == 1);
    CHECK_THAT(d.source, Contains(fmt::format("non-finite values set to 0: {} (static {}, timeseries {})",
                                              counts[0] + counts[1], counts[0], counts[1])));
    convert_and_check("mimic", fixture(""), "mimic");  // the folder holding im.pk
}

TEST_CASE("MultiBench datasets have no default source: a missing --src says where to get the data",
          "[multibench]") {
    TempDir dir;
    for (const char* dataset : {"avmnist", "mosei", "mosi", "urfunny", "mustard", "mimic", "enrico", "push", "vt"}) {
        INFO(dataset);
        try {
            preprocess_dataset(dataset, "", dir / "out.h5", fresh_config());
            FAIL("no error");
        } catch (const UsageError& e) {
            CHECK_THAT(e.what(), Contains("--src"));
            CHECK_THAT(e.what(), Contains("MultiBench"));
        }
    }
    CHECK(dir.entries().empty());
}

TEST_CASE("broken MultiBench files: a clear DataError naming the file and the key, and no output", "[multibench]") {
    struct Broken {
        const char* dataset;
        const char* source;
        std::vector<std::string> message;  // each must appear in the error
    };
    const std::vector<Broken> cases = {
        {"avmnist", "bad/avmnist_missing", {"avmnist_missing", "missing audio/test_data.npy"}},
        {"avmnist", "bad/avmnist_object", {"avmnist_object/image/train_data.npy", "object arrays"}},
        {"avmnist", "bad/avmnist_shape", {"avmnist_shape/audio/train_data.npy", "1 spectrograms",
                                          "avmnist_shape/image/train_data.npy holds 2 images"}},
        {"avmnist", "bad/avmnist_truncated", {"avmnist_truncated/image/test_data.npy"}},
        {"mosei", "bad/affect_missing_key.pkl", {"affect_missing_key.pkl: valid", "no key 'audio'"}},
        {"mosei", "bad/affect_object.pkl", {"affect_object.pkl", "object"}},
        {"mosei", "bad/affect_shape.pkl", {"affect_shape.pkl: test/audio", "disagrees", "test/text"}},
        {"urfunny", "bad/affect_truncated.pkl", {"affect_truncated.pkl"}},
        {"mimic", "bad/mimic_shape.pk", {"mimic_shape.pk: adm_features_all", "3 examples of", "ep_tdata"}},
        {"mimic", "bad/mimic_missing_key.pk", {"mimic_missing_key.pk", "no key 'y_icd9'"}},
        {"mimic", "bad/mimic_truncated.pk", {"mimic_truncated.pk"}},
        {"enrico", "bad/enrico_truncated", {"enrico_truncated/screenshots/1.jpg", "truncated JPEG"}},
        {"enrico", "bad/enrico_no_topic", {"enrico_no_topic/design_topics.csv", "no column 'topic'"}},
        {"push", "bad/push_missing_key", {"push_missing_key/gentle_push_1000.hdf5", "no key 'trajectory0/force'"}},
        {"push", "bad/push_shape", {"push_shape/gentle_push_1000.hdf5: trajectory0/eef_pos", "shape [1, 3]",
                                    "expected [2, 3]", "trajectory0/Cylinder0_pos"}},
        {"push", "bad/push_truncated", {"push_truncated/gentle_push_1000.hdf5"}},
        {"vt", "bad/vt_missing_key", {"vt_missing_key/b_1_1000.h5", "no key 'contact'"}},
        {"vt", "bad/vt_shape", {"vt_shape/b_1_1000.h5: depth_data", "shape [3, 2, 4, 1]", "[3, 4, 4]"}},
        {"vt", "bad/vt_truncated", {"vt_truncated/b_1_1000.h5"}},
    };
    for (const auto& c : cases) {
        INFO(c.dataset << " on " << c.source);
        TempDir dir;
        try {
            preprocess_dataset(c.dataset, fixture(c.source), dir / "out.h5", fresh_config());
            FAIL("no error");
        } catch (const DataError& e) {
            for (const auto& part : c.message) CHECK_THAT(e.what(), Contains(part));
        }
        CHECK(dir.entries().empty());
    }
}

// The real mosei_senti_data.pkl carries `id` as a string array; the pickle reader keeps it as an
// opaque value that the converter never reads, instead of refusing the whole file.
TEST_CASE("mosei: string ids as in the real pickle do not stop the conversion", "[multibench][pickle-string-ids]") {
    TempDir dir;
    const auto result = preprocess_dataset("mosei", fixture("mosei_text_ids.pkl"), dir / "out.h5", fresh_config());
    CHECK(result.dataset.train.size() == 2);
}

TEST_CASE("enrico: JPEG screenshots and PNG wireframes resized as Pillow resizes them, MultiBench's seed-42 split",
          "[multibench]") {
    const TaskDataset d = convert_and_check("enrico", fixture("enrico"), "enrico");
    check_modalities(d, {{"screenshot", "image", false}, {"wireframe", "wireframe", false}});
    CHECK(d.task_type == TaskType::Classification);
    CHECK(d.class_names == std::vector<std::string>{"bare", "gallery", "login", "news"});
    CHECK(d.train.modalities[0].shape == std::vector<std::int64_t>{3, 3, 256, 128});
    CHECK(d.val.size() == 1);
    CHECK(d.test.size() == 1);
    CHECK_THAT(d.source, Contains("6 screens listed, 1 skipped"));
}

TEST_CASE("push: 16-step windows at offsets 0 and 8, normalised as MultiBench, the object's path as target",
          "[multibench]") {
    const TaskDataset d = convert_and_check("push", fixture("push"), "push");
    check_modalities(d, {{"gripper_pos", "proprioception", false}, {"gripper_sensors", "force", false},
                         {"image", "video", false}, {"control", "control", false}});
    CHECK(d.task_type == TaskType::Regression);
    CHECK(d.num_outputs == 32);
    CHECK(d.train.size() == 5);  // 40 steps: 2 + 2 windows; 17 steps: 1 + 0
    CHECK(d.val.size() == 2);
    CHECK(d.test.size() == 1);
    convert_and_check("push", fixture("push/gentle_push_10.hdf5"), "push");  // a file: its folder
}

TEST_CASE("vt: one example per step with a next step, contact_next labels, test repeats validation",
          "[multibench]") {
    // The force readings go through tanh: libm's and numpy's may differ in the last bit.
    const TaskDataset d = convert_and_check("vt", fixture("vt"), "vt", "force", 1e-6f);
    check_modalities(d, {{"image", "image", false}, {"force", "force", false}, {"proprio", "proprioception", false},
                         {"depth", "depth", false}, {"action", "control", false}});
    CHECK(d.task_type == TaskType::Binary);
    CHECK(d.train.size() == 16);
    CHECK(d.val.size() == 4);
    CHECK(d.test.class_labels == d.val.class_labels);
    CHECK(d.train.modalities[1].shape == std::vector<std::int64_t>{16, 6, 32});
}

TEST_CASE("preprocess.affect.per_example_znorm: each example standardised over its steps, as HighMMT does",
          "[multibench]") {
    TempDir dir;
    const Config config = load_config({}, {"preprocess.affect.per_example_znorm=true"}).values;
    preprocess_dataset("mosei", fixture("mosei.pkl"), dir / "out.h5", config);
    const TaskDataset d = read_task_dataset(dir / "out.h5");
    const NpzArchive npz(fixture("expected_mosei_znorm.npz"));
    for (const Split split : kSplits)
        for (std::size_t j = 0; j < d.modalities.size(); ++j) {
            const NumpyArray want = npz.read(to_string(split) + "_" + d.modalities[j].name);
            CHECK(d.split(split).modalities[j].shape == want.shape);
            check_values(d.split(split).modalities[j].values, want, 1e-6f);  // float64 sums, float32 storage
        }
    CHECK_THAT(d.source, Contains("z-normalised per feature"));
    // Off (the default): the values are stored as read, not standardised.
    const TaskDataset plain = convert_and_check("mosei", fixture("mosei.pkl"), "mosei");
    CHECK_THAT(plain.source, !Contains("z-normalised"));
}

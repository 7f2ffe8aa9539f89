// MuJoCo Push (gentle_push_*.hdf5, fannypack trajectory files) as MultiBench's
// datasets/gentle_push/data_loader.py serves it to HighMMT (`PushTask.get_dataloader(16)`):
// per trajectory the gripper position, the gripper sensors (force/torque + contact), the 32 x 32
// camera image and the controls, normalised with the loader's fixed constants, cut into
// 16-step sub-sequences at offsets 0 and 8; the target is the pushed object's (x, y) over the
// same 16 steps. Train gentle_push_1000, validation gentle_push_10, test gentle_push_300.
#include <fmt/format.h>

#include <array>
#include <cmath>

#include "core/errors.h"
#include "data/converters.h"
#include "data/dataset_builder.h"
#include "data/h5_source.h"

namespace sm4 {
namespace {

constexpr std::int64_t kSteps = 16;  // HighMMT: PushTask.get_dataloader(16, ...)

// The loader's normalisation constants (not the kloss ones), as numpy float32 arrays.
template <std::size_t N> std::array<float, N> f32(const std::array<double, N>& values) {
    std::array<float, N> out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<float>(values[i]);
    return out;
}
const auto kPosMean = f32<3>({0.46806443, -0.0017836, 0.88028437});
const auto kPosStd = f32<3>({0.02410769, 0.02341035, 0.04018243});
const auto kSensorMean = f32<7>({4.9182904e-01, 4.5039989e-02, -3.2791464e00, -3.3874984e-03, 1.1552566e-02,
                                  -8.4817986e-04, 2.1303751e-01});
const auto kSensorStd = f32<7>({1.6152629, 1.666905, 1.9186896, 0.14219016, 0.14232528, 0.01675198, 0.40950698});
const auto kStateMean = f32<2>({0.4970164, -0.00916641});
const auto kStateStd = f32<2>({0.0572766, 0.06118315});
const auto kControlMean = f32<7>({4.6594709e-01, -2.5247163e-03, 8.8094306e-01, 1.2939950e-04, -5.4364675e-05,
                                   -6.1112235e-04, 2.2041667e-01});
const auto kControlStd = f32<7>({0.02239027, 0.02356066, 0.0405312, 0.00054858, 0.0005754, 0.00046352, 0.41451886});

const std::array<const char*, 3> kFiles = {"gentle_push_1000.hdf5", "gentle_push_10.hdf5", "gentle_push_300.hdf5"};

// A [T, D] float32 series, row-major.
struct Series {
    std::int64_t width = 0;
    std::vector<float> values;
};

float finite(double value, std::int64_t& replaced) {
    const auto v = static_cast<float>(value);
    if (std::isfinite(v)) return v;
    ++replaced;
    return 0.0f;
}

// x -= mean; x /= std, per column, in float32 as numpy does it in place.
template <std::size_t D> void normalise(Series& s, const std::array<float, D>& mean, const std::array<float, D>& std) {
    for (std::size_t i = 0; i < s.values.size(); ++i) {
        float v = s.values[i] - mean[i % D];
        s.values[i] = v / std[i % D];
    }
}

// Appends rows [start, start + kSteps) of `s` to `out`.
void append_window(const Series& s, std::int64_t start, std::vector<float>& out) {
    const auto* from = s.values.data() + start * s.width;
    out.insert(out.end(), from, from + kSteps * s.width);
}

void convert_file(const std::filesystem::path& path, SplitArrays& split, std::int64_t& replaced) {
    const H5Source file(path);
    const auto names = file.members("");
    if (names.empty()) throw DataError(fmt::format("{}: holds no trajectories", path.string()));
    // fannypack: trajectories trajectory0 .. trajectory<max id>, each a group of [T, ...] arrays.
    std::int64_t count = 0;
    for (const auto& name : names) {
        if (name.rfind("trajectory", 0) != 0 || name.size() == 10 ||
            name.find_first_not_of("0123456789", 10) != std::string::npos)
            throw DataError(fmt::format("{}: member '{}' is not a fannypack trajectory (trajectory<N>)", path.string(), name));
        count = std::max<std::int64_t>(count, std::stoll(name.substr(10)) + 1);
    }
    split.modalities.assign(4, FloatArray{});
    split.modalities[0].shape = {0, kSteps, 3};
    split.modalities[1].shape = {0, kSteps, 7};
    split.modalities[2].shape = {0, kSteps, 32, 32};
    split.modalities[3].shape = {0, kSteps, 7};
    split.targets.shape = {0, kSteps * 2};
    for (std::int64_t t = 0; t < count; ++t) {
        const std::string group = fmt::format("trajectory{}", t);
        const H5Array object = file.read(group + "/Cylinder0_pos");
        const std::int64_t steps = object.rows();
        const H5Array eef = file.read(group + "/eef_pos"), force = file.read(group + "/force"),
                      contact = file.read(group + "/contact"), image = file.read(group + "/image");
        require_shape(object, object.shape.size() == 2 && object.shape[1] >= 2, "[T, 3]: the object's position");
        const std::string of = fmt::format(" (the {} steps of {})", steps, object.source);
        require_shape(eef, eef.shape == std::vector<std::int64_t>{steps, 3}, fmt::format("[{}, 3]{}", steps, of));
        require_shape(force, force.shape == std::vector<std::int64_t>{steps, 6}, fmt::format("[{}, 6]{}", steps, of));
        require_shape(contact, contact.shape == std::vector<std::int64_t>{steps}, fmt::format("[{}]{}", steps, of));
        require_shape(image, image.shape == std::vector<std::int64_t>{steps, 32, 32},
                      fmt::format("[{}, 32, 32]{}", steps, of));

        Series pos{3, {}}, sensors{7, {}}, picture{32 * 32, {}}, control{7, {}}, state{2, {}};
        for (double v : eef.values) pos.values.push_back(finite(v, replaced));
        for (double v : image.values) picture.values.push_back(finite(v, replaced));
        const auto width = static_cast<std::size_t>(object.shape[1]);
        for (std::int64_t i = 0; i < steps; ++i) {
            const auto k = static_cast<std::size_t>(i);
            const float touch = finite(contact.values[k], replaced);
            for (std::size_t a = 0; a < 6; ++a) sensors.values.push_back(finite(force.values[k * 6 + a], replaced));
            sensors.values.push_back(touch);
            // controls: the previous gripper position (the first step's own), the step since, contact
            const float* now = pos.values.data() + k * 3;
            const float* before = pos.values.data() + (i == 0 ? k : k - 1) * 3;
            control.values.insert(control.values.end(), before, before + 3);
            for (std::size_t a = 0; a < 3; ++a) control.values.push_back(now[a] - before[a]);
            control.values.push_back(touch);
            for (std::size_t a = 0; a < 2; ++a) state.values.push_back(finite(object.values[k * width + a], replaced));
        }
        normalise(pos, kPosMean, kPosStd);
        normalise(sensors, kSensorMean, kSensorStd);
        normalise(state, kStateMean, kStateStd);
        normalise(control, kControlMean, kControlStd);
        // split_trajectories: offsets 0 and 8, as many whole 16-step windows as fit after each.
        for (const std::int64_t offset : {std::int64_t{0}, kSteps / 2}) {
            for (std::int64_t w = 0; w < std::max<std::int64_t>(steps - offset, 0) / kSteps; ++w) {
                const std::int64_t start = offset + w * kSteps;
                const std::array<const Series*, 4> sources = {&pos, &sensors, &picture, &control};
                for (std::size_t m = 0; m < 4; ++m) {
                    append_window(*sources[m], start, split.modalities[m].values);
                    ++split.modalities[m].shape[0];
                }
                append_window(state, start, split.targets.values);
                ++split.targets.shape[0];
            }
        }
    }
}

}  // namespace

TaskDataset convert_push(const std::filesystem::path& source, const Config&) {
    std::error_code ec;
    const auto folder = std::filesystem::is_directory(source, ec) ? source : source.parent_path();
    for (const char* name : kFiles)
        if (!std::filesystem::is_regular_file(folder / name, ec))
            throw DataError(fmt::format("{}: missing {} (MultiBench's gentle_push files: {})", folder.string(), name,
                                        fmt::join(kFiles, ", ")));
    TaskDataset d;
    d.task = "push";
    d.task_type = TaskType::Regression;
    d.num_outputs = kSteps * 2;
    d.modalities = {{"gripper_pos", "proprioception", false, {}, {}},
                    {"gripper_sensors", "force", false, {}, {}},
                    {"image", "video", false, {}, {}},
                    {"control", "control", false, {}, {}}};
    std::int64_t replaced = 0;
    convert_file(folder / kFiles[0], d.train, replaced);
    convert_file(folder / kFiles[1], d.val, replaced);
    convert_file(folder / kFiles[2], d.test, replaced);
    d.source = fmt::format(
        "MuJoCo Push (MultiBench's gentle_push files), {}; train {}, val {}, test {}; normalised with MultiBench's "
        "constants, 16-step windows at offsets 0 and 8; target: the object's (x, y) over the 16 steps, step-major; "
        "non-finite values set to 0: {}",
        folder.string(), kFiles[0], kFiles[1], kFiles[2], replaced);
    for (std::size_t m = 0; m < d.modalities.size(); ++m) compute_statistics(d, m, /*apply=*/false);
    return d;
}

}  // namespace sm4

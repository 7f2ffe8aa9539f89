// Vision & Touch (MultiBench's robotics "triangle_real_data": one .h5 file per 50-step episode
// of a robot arm inserting a peg) as datasets/robotics serves it to HighMMT: one example per step
// t with a next step: the RGB camera image, the last 32 readings of the 6-axis force sensor
// (tanh, transposed), the first 8 proprioception values and the depth map at t, the action at
// t + 1; the label is contact_next (any contact at t + 1).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/errors.h"
#include "core/progress.h"
#include "data/converters.h"
#include "data/dataset_builder.h"
#include "data/h5_source.h"
#include "data/python_random.h"

namespace sm4 {
namespace {

constexpr std::int64_t kForceWindow = 32;  // ProcessForce(32, "force", tanh=True)
constexpr std::int64_t kProprio = 8;       // proprio[:8]
constexpr std::int64_t kAction = 4;        // action_dim
constexpr std::uint64_t kSeed = 42;        // HighMMT: robotics_set_seeds(42)
constexpr double kValShare = 0.2;          // val_ratio

struct Episode {
    std::vector<float> image, force, proprio, depth, action;  // one block per example
    std::vector<std::int64_t> labels;
    std::int64_t height = 0, width = 0;
};

Episode read_episode(const std::filesystem::path& path, std::int64_t& replaced) {
    const H5Source file(path);
    const H5Array image = file.read("image"), depth = file.read("depth_data"), proprio = file.read("proprio"),
                  force = file.read("ee_forces_continuous"), action = file.read("action"),
                  contact = file.read("contact");
    const std::int64_t steps = image.rows();
    require_shape(image, image.shape.size() == 4 && (image.shape[3] == 3 || image.shape[1] == 3),
                  "[T, H, W, 3] (or [T, 3, H, W]): RGB images");
    const bool channels_last = image.shape[3] == 3;
    Episode e;
    e.height = channels_last ? image.shape[1] : image.shape[2];
    e.width = channels_last ? image.shape[2] : image.shape[3];
    const std::string of = fmt::format(" (the {} steps of {})", steps, image.source);
    require_shape(depth, depth.rows() == steps && depth.row_size() == e.height * e.width &&
                             (depth.shape.size() == 3 || (depth.shape.size() == 4 && depth.shape[3] == 1)),
                  fmt::format("[{0}, {1}, {2}] or [{0}, {1}, {2}, 1]{3}", steps, e.height, e.width, of));
    require_shape(proprio, proprio.shape.size() == 2 && proprio.rows() == steps && proprio.shape[1] >= kProprio,
                  fmt::format("[{}, >= {}]{}", steps, kProprio, of));
    require_shape(force, force.shape.size() == 3 && force.rows() == steps && force.shape[1] >= kForceWindow,
                  fmt::format("[{}, >= {}, axes]{}", steps, kForceWindow, of));
    require_shape(action, action.shape.size() == 2 && action.rows() == steps && action.shape[1] >= kAction,
                  fmt::format("[{}, >= {}]{}", steps, kAction, of));
    require_shape(contact, contact.rows() == steps, fmt::format("[{}, ...]{}", steps, of));

    auto value = [&replaced](double v) {
        const auto f = static_cast<float>(v);
        if (std::isfinite(f)) return f;
        ++replaced;
        return 0.0f;
    };
    const std::int64_t pixels = e.height * e.width, window = force.shape[1], axes = force.shape[2];
    for (std::int64_t t = 0; t + 1 < steps; ++t) {
        const double* im = image.values.data() + t * image.row_size();
        for (std::int64_t c = 0; c < 3; ++c)
            for (std::int64_t p = 0; p < pixels; ++p)
                e.image.push_back(value(im[channels_last ? p * 3 + c : c * pixels + p] / 255.0));
        // force[-32:], tanh, transposed to [axes, 32]
        const double* fo = force.values.data() + t * force.row_size();
        for (std::int64_t a = 0; a < axes; ++a)
            for (std::int64_t w = window - kForceWindow; w < window; ++w)
                e.force.push_back(value(std::tanh(fo[w * axes + a])));
        for (std::int64_t j = 0; j < kProprio; ++j) e.proprio.push_back(value(proprio.values[t * proprio.shape[1] + j]));
        for (std::int64_t p = 0; p < pixels; ++p) e.depth.push_back(value(depth.values[t * pixels + p]));
        for (std::int64_t j = 0; j < kAction; ++j)
            e.action.push_back(value(action.values[(t + 1) * action.shape[1] + j]));
        const double* next = contact.values.data() + (t + 1) * contact.row_size();
        double sum = 0.0;
        for (std::int64_t j = 0; j < contact.row_size(); ++j) sum += next[j];
        e.labels.push_back(sum > 0.0 ? 1 : 0);
    }
    e.force.shrink_to_fit();
    if (axes * kForceWindow * static_cast<std::int64_t>(e.labels.size()) != static_cast<std::int64_t>(e.force.size()))
        throw DataError(fmt::format("{}: inconsistent force layout", force.source));
    return e;
}

}  // namespace

TaskDataset convert_vt(const std::filesystem::path& source, const Config&) {
    std::error_code ec;
    if (!std::filesystem::is_directory(source, ec))
        throw DataError(fmt::format("{}: not a folder (give the triangle_real_data folder of episode .h5 files)",
                                    source.string()));
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(source))
        if (entry.path().extension() == ".h5") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    if (files.size() < 2)
        throw DataError(fmt::format("{}: {} episode .h5 files, need at least 2 (train and validation)",
                                    source.string(), files.size()));

    std::vector<Episode> episodes;
    std::int64_t replaced = 0;
    Progress progress("vt: reading episodes", static_cast<std::int64_t>(files.size()), "episodes");
    for (const auto& f : files) {
        episodes.push_back(read_episode(f, replaced));
        if (episodes.back().height != episodes.front().height || episodes.back().width != episodes.front().width ||
            episodes.back().force.size() / std::max<std::size_t>(episodes.back().labels.size(), 1) !=
                episodes.front().force.size() / std::max<std::size_t>(episodes.front().labels.size(), 1))
            throw DataError(fmt::format("{}: image or force shape disagrees with {}", f.string(), files.front().string()));
        progress.advance();
    }
    progress.finish();

    // Episodes sorted by name, shuffled by random.Random(42); the first int(n * 0.2) (at least
    // one) validate, the rest train; the test split repeats the validation episodes (HighMMT:
    // `test4 = copy.deepcopy(valid4)`, the dataset has no test split).
    const auto n = static_cast<std::int64_t>(files.size());
    const std::vector<std::int64_t> order = python_shuffled_range(n, kSeed);
    const auto val_count = std::max<std::int64_t>(static_cast<std::int64_t>(static_cast<double>(n) * kValShare), 1);
    std::vector<std::int64_t> val_episodes(order.begin(), order.begin() + val_count);
    std::vector<std::int64_t> train_episodes(order.begin() + val_count, order.end());
    std::sort(val_episodes.begin(), val_episodes.end());
    std::sort(train_episodes.begin(), train_episodes.end());

    const std::int64_t h = episodes.front().height, w = episodes.front().width;
    const std::int64_t axes = static_cast<std::int64_t>(episodes.front().force.size() / episodes.front().labels.size()) / kForceWindow;
    std::vector<FloatArray> all = {{{0, 3, h, w}, {}}, {{0, axes, kForceWindow}, {}}, {{0, kProprio}, {}},
                                   {{0, 1, h, w}, {}}, {{0, kAction}, {}}};
    std::vector<std::int64_t> labels;
    SplitIndices split;
    std::vector<std::int64_t> first_example(episodes.size());
    for (std::size_t i = 0; i < episodes.size(); ++i) {
        Episode& e = episodes[i];
        first_example[i] = static_cast<std::int64_t>(labels.size());
        const std::vector<float>* parts[] = {&e.image, &e.force, &e.proprio, &e.depth, &e.action};
        for (std::size_t m = 0; m < all.size(); ++m) {
            all[m].values.insert(all[m].values.end(), parts[m]->begin(), parts[m]->end());
            all[m].shape[0] += static_cast<std::int64_t>(e.labels.size());
        }
        labels.insert(labels.end(), e.labels.begin(), e.labels.end());
        e = Episode{};
    }
    auto examples_of = [&](const std::vector<std::int64_t>& chosen, std::vector<std::int64_t>& out) {
        for (auto i : chosen) {
            const auto u = static_cast<std::size_t>(i);
            const std::int64_t end = u + 1 < first_example.size() ? first_example[u + 1] : static_cast<std::int64_t>(labels.size());
            for (std::int64_t k = first_example[u]; k < end; ++k) out.push_back(k);
        }
    };
    examples_of(train_episodes, split.train);
    examples_of(val_episodes, split.val);
    split.test = split.val;

    TaskDataset d;
    d.task = "vt";
    d.task_type = TaskType::Binary;
    d.num_outputs = 2;
    d.class_names = {"no contact", "contact"};
    std::vector<std::string> val_names;
    for (auto i : val_episodes) val_names.push_back(files[static_cast<std::size_t>(i)].filename().string());
    d.source = fmt::format(
        "Vision & Touch (MultiBench's triangle_real_data), {}; {} episodes, {} validate ({}); the test split repeats "
        "the validation episodes as HighMMT does; one example per step with a next step; non-finite values set to "
        "0: {}",
        source.string(), n, val_count, fmt::join(val_names, ", "), replaced);
    d.modalities = {{"image", "image", false, {}, {}},
                    {"force", "force", false, {}, {}},
                    {"proprio", "proprioception", false, {}, {}},
                    {"depth", "depth", false, {}, {}},
                    {"action", "control", false, {}, {}}};
    assign_splits(d, all, labels, split);
    for (std::size_t m = 0; m < d.modalities.size(); ++m) compute_statistics(d, m, /*apply=*/false);
    return d;
}

}  // namespace sm4

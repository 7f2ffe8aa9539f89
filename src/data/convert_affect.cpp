// CMU-MOSEI, CMU-MOSI, UR-FUNNY and MUStARD as MultiBench distributes them: one pickle holding
// {train, valid, test}, each {vision, audio, text: [N, T, d], labels, id}. Read the way
// MultiBench's datasets/affect/get_data.py serves them with max_pad=True, max_seq_len=50.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "core/errors.h"
#include "data/converters.h"
#include "data/dataset_builder.h"
#include "data/multibench_arrays.h"
#include "formats/pickle_reader.h"

namespace sm4 {
namespace {

// HighMMT and MultiBench pad or cut every sequence to 50 steps.
constexpr std::int64_t kSteps = 50;
constexpr std::array<const char*, 3> kModalities = {"vision", "audio", "text"};
constexpr std::array<const char*, 3> kKinds = {"video", "audio", "text"};

enum class LabelRule {
    Sentiment,  // real-valued sentiment in [-3, 3]: >= 0 is positive (HighMMT's rule)
    Binary,     // already a class: 1 (or any positive value) is the class, 0 and -1 are not
};

struct AffectSpec {
    const char* task;
    const char* origin;
    std::vector<std::string> file_names;  // looked for when --src is a folder
    LabelRule rule;
    std::vector<std::string> class_names;
};

struct Counts {
    std::array<std::int64_t, 3> replaced{};  // non-finite values set to 0, per modality
    std::int64_t dropped = 0;                // examples without any text
    std::int64_t cut = 0;                    // examples longer than kSteps after alignment
};

std::int64_t binary_label(double value, LabelRule rule, const std::string& where, std::size_t example) {
    if (!std::isfinite(value))
        throw DataError(fmt::format("{}: label of example {} is not finite", where, example));
    if (rule == LabelRule::Sentiment) return value >= 0.0 ? 1 : 0;
    if (value != 1.0 && value != 0.0 && value != -1.0)
        throw DataError(fmt::format("{}: label {} of example {} is not a class (0 or 1; -1 also reads as 0)", where,
                                    value, example));
    return value > 0.0 ? 1 : 0;
}

// HighMMT's per-example z-normalisation (Affectdataset.__getitem__): each feature standardised
// over the example's steps from its first word to the end (before the cut to kSteps), with the
// mean and the unbiased (n - 1) deviation; 0 / 0 (a constant feature, or a single step) becomes
// 0 as torch.nan_to_num makes it. Computed in double, stored as float32.
std::vector<float> znorm_steps(const float* rows, std::int64_t steps, std::size_t features) {
    std::vector<float> out(rows, rows + static_cast<std::size_t>(steps) * features);
    for (std::size_t f = 0; f < features; ++f) {
        double sum = 0.0, squares = 0.0;
        for (std::int64_t t = 0; t < steps; ++t) sum += rows[static_cast<std::size_t>(t) * features + f];
        const double mean = sum / static_cast<double>(steps);
        for (std::int64_t t = 0; t < steps; ++t) {
            const double d = rows[static_cast<std::size_t>(t) * features + f] - mean;
            squares += d * d;
        }
        const double std = steps > 1 ? std::sqrt(squares / static_cast<double>(steps - 1)) : 0.0;
        for (std::int64_t t = 0; t < steps; ++t) {
            const double centred = rows[static_cast<std::size_t>(t) * features + f] - mean;
            out[static_cast<std::size_t>(t) * features + f] = std > 0.0 ? static_cast<float>(centred / std) : 0.0f;
        }
    }
    return out;
}

// One split: every example aligned to its first step with any non-zero text feature (the
// pickles pad at the front), cut to kSteps and padded with zeros at the end.
SplitArrays convert_split(const PickleValue& split, LabelRule rule, bool znorm, std::vector<std::int64_t>& features,
                          Counts& counts) {
    std::array<const NumpyArray*, 3> raw{};
    for (std::size_t m = 0; m < 3; ++m) {
        raw[m] = &split.at(kModalities[m]).as_array();
        require_rank(*raw[m], 3, "[N, T, d]: examples, steps, features");
    }
    const NumpyArray& text = *raw[2];
    for (std::size_t m = 0; m < 2; ++m)
        if (raw[m]->shape[0] != text.shape[0] || raw[m]->shape[1] != text.shape[1])
            throw DataError(fmt::format("{}: shape {} disagrees with {} of {} (the same examples and steps)",
                                        raw[m]->source, shape_text(raw[m]->shape), shape_text(text.shape),
                                        text.source));
    for (std::size_t m = 0; m < 3; ++m) {
        if (features[m] < 0) features[m] = raw[m]->shape[2];
        if (raw[m]->shape[2] != features[m])
            throw DataError(fmt::format("{}: {} features per step, but the train split has {}", raw[m]->source,
                                        raw[m]->shape[2], features[m]));
    }
    const NumpyArray& label_array = split.at("labels").as_array();
    require_rows(label_array, text.shape[0], text.source);
    const std::vector<double> labels = one_value_per_row(label_array);

    std::array<std::vector<float>, 3> values;
    for (std::size_t m = 0; m < 3; ++m) values[m] = finite_float32(*raw[m], counts.replaced[m]);

    const std::int64_t n = text.shape[0], steps = text.shape[1];
    const auto dt = static_cast<std::size_t>(features[2]);
    SplitArrays out;
    for (std::size_t m = 0; m < 3; ++m) out.modalities.push_back({{0, kSteps, features[m]}, {}});
    for (std::int64_t i = 0; i < n; ++i) {
        const float* text_rows = values[2].data() + static_cast<std::size_t>(i * steps) * dt;
        const auto* text_end = text_rows + static_cast<std::size_t>(steps) * dt;
        const auto first = std::find_if(text_rows, text_end, [](float v) { return v != 0.0f; });
        if (first == text_end) {  // MultiBench's drop_entry: no text at all
            ++counts.dropped;
            continue;
        }
        const std::int64_t start = (first - text_rows) / static_cast<std::ptrdiff_t>(dt);
        const std::int64_t kept = std::min(steps - start, kSteps);
        if (steps - start > kSteps) ++counts.cut;
        for (std::size_t m = 0; m < 3; ++m) {
            const auto d = static_cast<std::size_t>(features[m]);
            const float* from = values[m].data() + static_cast<std::size_t>(i * steps + start) * d;
            std::vector<float> normalised;
            if (znorm) {
                normalised = znorm_steps(from, steps - start, d);
                from = normalised.data();
            }
            auto& target = out.modalities[m].values;
            target.insert(target.end(), from, from + static_cast<std::size_t>(kept) * d);
            target.resize(target.size() + static_cast<std::size_t>(kSteps - kept) * d, 0.0f);
            ++out.modalities[m].shape[0];
        }
        out.class_labels.push_back(binary_label(labels[static_cast<std::size_t>(i)], rule, label_array.source,
                                                static_cast<std::size_t>(i)));
    }
    return out;
}

TaskDataset convert_affect(const std::filesystem::path& source, const AffectSpec& spec, const Config& config) {
    std::filesystem::path path = source;
    std::error_code ec;
    if (std::filesystem::is_directory(source, ec)) {
        auto found = std::find_if(spec.file_names.begin(), spec.file_names.end(), [&](const std::string& name) {
            return std::filesystem::is_regular_file(source / name, ec);
        });
        if (found == spec.file_names.end())
            throw DataError(fmt::format("{}: holds none of {} (name the pickle itself as the source)", source.string(),
                                        fmt::join(spec.file_names, ", ")));
        path = source / *found;
    }
    const PickleValue root = read_pickle_file(path);

    TaskDataset d;
    d.task = spec.task;
    d.task_type = TaskType::Binary;
    d.num_outputs = 2;
    d.class_names = spec.class_names;
    for (std::size_t m = 0; m < 3; ++m) d.modalities.push_back({kModalities[m], kKinds[m], false, {}, {}});
    std::vector<std::int64_t> features(3, -1);
    Counts counts;
    const bool znorm = config.preprocess.affect.per_example_znorm;
    d.train = convert_split(root.at("train"), spec.rule, znorm, features, counts);
    d.val = convert_split(root.at("valid"), spec.rule, znorm, features, counts);
    d.test = convert_split(root.at("test"), spec.rule, znorm, features, counts);
    const auto& r = counts.replaced;
    d.source = fmt::format(
        "{} (MultiBench's pickle), {}; aligned to the first word and padded with zeros at the end to {} steps; "
        "longer than {} steps (cut): {}; dropped (no text): {}; non-finite values set to 0: {} (vision {}, audio {}, "
        "text {}){}",
        spec.origin, path.string(), kSteps, kSteps, counts.cut, counts.dropped, r[0] + r[1] + r[2], r[0], r[1], r[2],
        znorm ? "; each example z-normalised per feature over its steps (preprocess.affect.per_example_znorm)" : "");
    for (std::size_t m = 0; m < 3; ++m) compute_statistics(d, m, /*apply=*/false);
    return d;
}

}  // namespace

TaskDataset convert_mosei(const std::filesystem::path& source, const Config& config) {
    return convert_affect(source, {"mosei", "CMU-MOSEI sentiment", {"mosei_senti_data.pkl", "mosei_raw.pkl"},
                                   LabelRule::Sentiment, {"negative", "positive"}}, config);
}

TaskDataset convert_mosi(const std::filesystem::path& source, const Config& config) {
    return convert_affect(source, {"mosi", "CMU-MOSI sentiment", {"mosi_raw.pkl", "mosi_data.pkl"},
                                   LabelRule::Sentiment, {"negative", "positive"}}, config);
}

TaskDataset convert_urfunny(const std::filesystem::path& source, const Config& config) {
    return convert_affect(source, {"urfunny", "UR-FUNNY humour", {"humor.pkl"}, LabelRule::Binary,
                                   {"not humorous", "humorous"}}, config);
}

TaskDataset convert_mustard(const std::filesystem::path& source, const Config& config) {
    return convert_affect(source, {"mustard", "MUStARD sarcasm", {"sarcasm.pkl"}, LabelRule::Binary,
                                   {"not sarcastic", "sarcastic"}}, config);
}

}  // namespace sm4

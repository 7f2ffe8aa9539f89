// An AV-MNIST analogue built the way AV-MNIST was: each handwritten digit is paired with a
// recording of the same digit being spoken. The recordings are synthesised with espeak-ng under
// randomly drawn voices, variants, rates and pitches, then noised and turned into log-mel.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/errors.h"
#include "core/progress.h"
#include "core/random.h"
#include "data/converters.h"
#include "data/csv.h"
#include "data/dataset_builder.h"
#include "data/log_mel.h"
#include "data/speech_synth.h"

namespace sm4 {
namespace {

constexpr std::int64_t kSide = 8;
constexpr std::int64_t kClasses = 10;
constexpr double kMaxPixel = 16.0;  // the digits are 4x4-block counts, 0..16
const char* const kWords[kClasses] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};

struct Digits {
    FloatArray images;                 // [N, 1, 8, 8] in [0, 1]
    std::vector<std::int64_t> labels;  // [N]
};

Digits read_digits(const std::filesystem::path& path) {
    const CsvTable csv = read_numeric_csv(path, false);
    if (csv.rows.empty()) throw DataError(fmt::format("{}: no rows", path.string()));
    Digits out;
    out.images.shape = {static_cast<std::int64_t>(csv.rows.size()), 1, kSide, kSide};
    for (std::size_t r = 0; r < csv.rows.size(); ++r) {
        const auto& row = csv.rows[r];
        const std::string where = fmt::format("{}:{}", path.string(), csv.line_numbers[r]);
        if (row.size() != static_cast<std::size_t>(kSide * kSide + 1))
            throw DataError(fmt::format("{}: {} fields, expected {} pixels and a label", where, row.size(), kSide * kSide));
        for (std::int64_t p = 0; p < kSide * kSide; ++p) {
            if (row[p] < 0 || row[p] > kMaxPixel)
                throw DataError(fmt::format("{}: pixel {} is {}, expected 0..16", where, p + 1, row[p]));
            out.images.values.push_back(static_cast<float>(row[p] / kMaxPixel));
        }
        const double label = row.back();
        if (label != std::floor(label) || label < 0 || label >= kClasses)
            throw DataError(fmt::format("{}: label {} is outside [0, {})", where, label, kClasses));
        out.labels.push_back(static_cast<std::int64_t>(label));
    }
    return out;
}

// Per-recording randomness, drawn up front so synthesis and mixing see one fixed plan.
struct RecordingPlan {
    Utterance utterance;
    double snr_db;
    double offset;  // where a short clip sits in the window, 0..1
};

std::vector<RecordingPlan> plan_recordings(const std::vector<std::int64_t>& labels, const DigitsAvConfig& c,
                                           std::uint64_t seed) {
    Rng rng(derive_seed(seed, "digits-av-recordings"));
    std::vector<RecordingPlan> plans;
    for (auto label : labels) {
        RecordingPlan p;
        p.utterance.text = kWords[label];
        const auto& voice = c.voices[static_cast<std::size_t>(rng.integer(0, static_cast<std::int64_t>(c.voices.size()) - 1))];
        const auto& variant = c.variants[static_cast<std::size_t>(rng.integer(0, static_cast<std::int64_t>(c.variants.size()) - 1))];
        p.utterance.voice = voice + "+" + variant;
        p.utterance.rate = static_cast<int>(rng.integer(c.rate_min, c.rate_max));
        p.utterance.pitch = static_cast<int>(rng.integer(c.pitch_min, c.pitch_max));
        p.snr_db = rng.uniform(c.snr_min_db, c.snr_max_db);
        p.offset = rng.uniform();
        plans.push_back(p);
    }
    return plans;
}

// Trims silence, fits the speech into `window` samples (centre crop or placed at plan.offset),
// scales it to unit peak and adds white noise at plan.snr_db relative to the speech power.
void mix_into_window(const std::vector<std::int16_t>& speech, const RecordingPlan& plan, Rng& noise, float* window,
                     std::int64_t length) {
    std::int64_t first = 0, last = static_cast<std::int64_t>(speech.size()) - 1;
    int peak = 1;
    for (auto s : speech) peak = std::max(peak, std::abs(static_cast<int>(s)));
    const int floor = peak / 100;
    while (first < last && std::abs(static_cast<int>(speech[first])) <= floor) ++first;
    while (last > first && std::abs(static_cast<int>(speech[last])) <= floor) --last;
    std::int64_t count = last - first + 1;
    if (count > length) {
        first += (count - length) / 2;
        count = length;
    }
    const auto start = static_cast<std::int64_t>(plan.offset * static_cast<double>(length - count));
    std::fill(window, window + length, 0.0f);
    double power = 0.0;
    for (std::int64_t i = 0; i < count; ++i) {
        const float v = static_cast<float>(speech[first + i]) / static_cast<float>(peak);
        window[start + i] = v;
        power += static_cast<double>(v) * v;
    }
    power /= std::max<std::int64_t>(count, 1);
    const double noise_std = std::sqrt(power / std::pow(10.0, plan.snr_db / 10.0));
    for (std::int64_t i = 0; i < length; ++i) window[i] += static_cast<float>(noise_std * noise.normal());
}

FloatArray spoken_digits(const std::vector<std::int64_t>& labels, const DigitsAvConfig& c, std::uint64_t seed) {
    const std::vector<RecordingPlan> plans = plan_recordings(labels, c, seed);
    std::vector<Utterance> utterances;
    for (const auto& p : plans) utterances.push_back(p.utterance);

    std::vector<std::vector<std::int16_t>> speech;
    {
        Progress progress("digits-av: synthesising speech", static_cast<std::int64_t>(utterances.size()), "clips");
        speech = synthesize(utterances, [&](std::size_t) { progress.advance(); });
    }
    LogMelSettings settings;
    settings.n_mels = static_cast<int>(c.n_mels);
    settings.frames = static_cast<int>(c.frames);
    const std::int64_t length = settings.window_samples();
    std::vector<float> windows(static_cast<std::size_t>(length) * labels.size());
    Rng noise(derive_seed(seed, "digits-av-noise"));
    for (std::size_t k = 0; k < labels.size(); ++k)
        mix_into_window(speech[k], plans[k], noise, windows.data() + k * length, length);
    return log_mel_spectrograms(windows, static_cast<std::int64_t>(labels.size()), settings);
}

}  // namespace

TaskDataset convert_digits_av(const std::filesystem::path& source, const Config& config) {
    std::error_code ec;
    const auto path = std::filesystem::is_directory(source, ec) ? source / "digits.csv.gz" : source;
    Digits digits = read_digits(path);
    const auto seed = static_cast<std::uint64_t>(config.data.seed);
    FloatArray audio = spoken_digits(digits.labels, config.preprocess.digits_av, seed);

    TaskDataset d;
    d.task = "digits-av";
    d.task_type = TaskType::Classification;
    d.num_outputs = kClasses;
    d.source = "UCI optical digits as shipped by scikit-learn (" + path.string() +
               "), paired by label with digits spoken by espeak-ng";
    for (const char* word : kWords) d.class_names.emplace_back(word);
    d.modalities = {{"image", "image", false, {}, {}}, {"audio", "audio", false, {}, {}}};
    const SplitIndices split = stratified_split(digits.labels, config.data.val_fraction, config.data.test_fraction, seed);
    assign_splits(d, {digits.images, audio}, digits.labels, split);
    compute_statistics(d, 0, /*apply=*/false);
    compute_statistics(d, 1, /*apply=*/true);
    return d;
}

}  // namespace sm4

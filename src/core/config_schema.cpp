#include "core/config_schema.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace sm4 {
namespace {

template <class T> constexpr ConfigType type_of();
template <> constexpr ConfigType type_of<bool>() { return ConfigType::Bool; }
template <> constexpr ConfigType type_of<std::int64_t>() { return ConfigType::Int; }
template <> constexpr ConfigType type_of<double>() { return ConfigType::Float; }
template <> constexpr ConfigType type_of<std::string>() { return ConfigType::String; }
template <> constexpr ConfigType type_of<std::vector<std::string>>() { return ConfigType::StringList; }
template <> constexpr ConfigType type_of<std::vector<std::int64_t>>() { return ConfigType::IntList; }
template <> constexpr ConfigType type_of<std::vector<double>>() { return ConfigType::FloatList; }

using Check = std::function<std::optional<std::string>(const ConfigValue&)>;

// A field reached through a getter of its section, so nested sections need no special case.
template <class Section, class T>
ConfigField field(std::string key, Section& (*section)(Config&), T Section::*member,
                  std::string description, Check check = {}) {
    ConfigField f;
    f.key = std::move(key);
    f.type = type_of<T>();
    f.description = std::move(description);
    f.get = [section, member](const Config& c) {
        return ConfigValue(section(const_cast<Config&>(c)).*member);
    };
    f.set = [section, member](Config& c, const ConfigValue& v) { section(c).*member = std::get<T>(v); };
    f.check = std::move(check);
    return f;
}

Check in_range(double lo, double hi) {
    return [lo, hi](const ConfigValue& v) -> std::optional<std::string> {
        const double x = std::holds_alternative<double>(v) ? std::get<double>(v)
                                                           : static_cast<double>(std::get<std::int64_t>(v));
        if (x < lo || x > hi) return fmt::format("a value in [{}, {}]", lo, hi);
        return std::nullopt;
    };
}

Check non_empty_list() {
    return [](const ConfigValue& v) -> std::optional<std::string> {
        if (std::get<std::vector<std::string>>(v).empty()) return "a non-empty list";
        return std::nullopt;
    };
}

DataConfig& data(Config& c) { return c.data; }
DigitsAvConfig& digits_av(Config& c) { return c.preprocess.digits_av; }

std::vector<ConfigField> make_fields() {
    return {
        field("data.root", data, &DataConfig::root,
              "Folder holding the canonical datasets, one <task>.h5 per task"),
        field("data.tasks", data, &DataConfig::tasks,
              "Tasks of the experiment, by dataset name (the file is <root>/<task>.h5)", non_empty_list()),
        field("data.seed", data, &DataConfig::seed,
              "Seed of every split and synthesis made by `sm4 preprocess`", in_range(0, 9.0e18)),
        field("data.val_fraction", data, &DataConfig::val_fraction,
              "Share of the training data held out as the validation split", in_range(0.0, 0.5)),
        field("data.test_fraction", data, &DataConfig::test_fraction,
              "Share of the data held out as the test split when the source has none", in_range(0.05, 0.5)),
        field("preprocess.digits_av.voices", digits_av, &DigitsAvConfig::voices,
              "espeak-ng voices the spoken digits are drawn from", non_empty_list()),
        field("preprocess.digits_av.variants", digits_av, &DigitsAvConfig::variants,
              "espeak-ng voice variants (m1..m7, f1..f5, ...) drawn per recording", non_empty_list()),
        field("preprocess.digits_av.rate_min", digits_av, &DigitsAvConfig::rate_min,
              "Slowest speaking rate, words per minute", in_range(80, 450)),
        field("preprocess.digits_av.rate_max", digits_av, &DigitsAvConfig::rate_max,
              "Fastest speaking rate, words per minute", in_range(80, 450)),
        field("preprocess.digits_av.pitch_min", digits_av, &DigitsAvConfig::pitch_min,
              "Lowest base pitch (espeak-ng scale 0..99)", in_range(0, 99)),
        field("preprocess.digits_av.pitch_max", digits_av, &DigitsAvConfig::pitch_max,
              "Highest base pitch (espeak-ng scale 0..99)", in_range(0, 99)),
        field("preprocess.digits_av.snr_min_db", digits_av, &DigitsAvConfig::snr_min_db,
              "Lowest signal-to-noise ratio of the additive white noise, dB", in_range(-20, 100)),
        field("preprocess.digits_av.snr_max_db", digits_av, &DigitsAvConfig::snr_max_db,
              "Highest signal-to-noise ratio of the additive white noise, dB", in_range(-20, 100)),
        field("preprocess.digits_av.n_mels", digits_av, &DigitsAvConfig::n_mels,
              "Mel bands of the log-mel spectrogram (its height)", in_range(8, 128)),
        field("preprocess.digits_av.frames", digits_av, &DigitsAvConfig::frames,
              "Frames of the log-mel spectrogram (its width; hop 512 samples at 22.05 kHz)", in_range(8, 128)),
    };
}

void require_ordered(double lo, double hi, const char* lo_key, const char* hi_key) {
    if (lo > hi) throw ConfigError(fmt::format("{} ({}) must not exceed {} ({})", lo_key, lo, hi_key, hi));
}

}  // namespace

std::string type_name(ConfigType type) {
    switch (type) {
        case ConfigType::Bool: return "boolean";
        case ConfigType::Int: return "integer";
        case ConfigType::Float: return "number";
        case ConfigType::String: return "string";
        case ConfigType::StringList: return "list of strings";
        case ConfigType::IntList: return "list of integers";
        case ConfigType::FloatList: return "list of numbers";
    }
    return "?";
}

const std::vector<ConfigField>& config_fields() {
    static const std::vector<ConfigField> fields = make_fields();
    return fields;
}

const ConfigField* find_config_field(const std::string& key) {
    for (const auto& f : config_fields())
        if (f.key == key) return &f;
    return nullptr;
}

void validate_config(const Config& c) {
    const auto& d = c.preprocess.digits_av;
    require_ordered(d.rate_min, d.rate_max, "preprocess.digits_av.rate_min", "preprocess.digits_av.rate_max");
    require_ordered(d.pitch_min, d.pitch_max, "preprocess.digits_av.pitch_min", "preprocess.digits_av.pitch_max");
    require_ordered(d.snr_min_db, d.snr_max_db, "preprocess.digits_av.snr_min_db", "preprocess.digits_av.snr_max_db");
}

}  // namespace sm4

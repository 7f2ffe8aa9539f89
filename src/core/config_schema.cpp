#include "core/config_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <variant>

#include "core/errors.h"
#include "core/json.h"
#include "core/table.h"
#include "core/text.h"

namespace sm4 {
namespace {

using Check = std::function<std::optional<std::string>(const ConfigValue&)>;

template <class T> constexpr ConfigType type_of() {
    if constexpr (std::is_same_v<T, bool>) return ConfigType::Bool;
    else if constexpr (std::is_same_v<T, std::int64_t>) return ConfigType::Int;
    else if constexpr (std::is_same_v<T, double>) return ConfigType::Float;
    else if constexpr (std::is_same_v<T, std::string>) return ConfigType::String;
    else if constexpr (std::is_enum_v<T>) return ConfigType::Choice;
    else if constexpr (std::is_same_v<T, Strings>) return ConfigType::StringList;
    else if constexpr (std::is_same_v<T, Integers>) return ConfigType::IntList;
    else return ConfigType::FloatList;
}

// The checks config.h's rows name.
Check any() { return {}; }

Check in_range(double lo, double hi) {
    return [lo, hi](const ConfigValue& v) -> std::optional<std::string> {
        const double x = std::holds_alternative<double>(v) ? std::get<double>(v)
                                                           : static_cast<double>(std::get<std::int64_t>(v));
        if (!std::isfinite(x) || x < lo || x > hi) return fmt::format("a value in [{}, {}]", lo, hi);
        return std::nullopt;
    };
}

Check non_empty() {
    return [](const ConfigValue& v) -> std::optional<std::string> {
        const bool empty = std::visit(
            [](const auto& value) {
                using V = std::decay_t<decltype(value)>;
                if constexpr (std::is_same_v<V, Strings> || std::is_same_v<V, Integers> || std::is_same_v<V, Numbers>)
                    return value.empty();
                else
                    return false;
            },
            v);
        if (empty) return "a non-empty list";
        return std::nullopt;
    };
}

// A choice's word must name one of its enum's values.
template <class E> Check choice_check() {
    return [](const ConfigValue& v) -> std::optional<std::string> {
        const std::string& word = std::get<std::string>(v);
        if (find_choice<E>(word)) return std::nullopt;
        return expected_choice(choice_names<E>()) + ", found \"" + word + "\"" + did_you_mean(word, choice_names<E>());
    };
}

// Both checks of a choice key whose row adds one (none do yet: `any()` gives an empty check).
Check both(Check first, Check second) {
    if (!first) return second;
    if (!second) return first;
    return [first, second](const ConfigValue& v) { return first(v) ? first(v) : second(v); };
}

// One row of config.h as a field. `access` reaches the row's section in a Config.
template <class Section, class T>
ConfigField make_field(std::string key, Section& (*access)(Config&), T Section::*member, std::string description,
                       Check check) {
    ConfigField f;
    f.key = std::move(key);
    f.type = type_of<T>();
    f.description = std::move(description);
    if constexpr (std::is_enum_v<T>) {
        f.choices = choice_names<T>();
        f.get = [access, member](const Config& c) {
            return ConfigValue(to_string(access(const_cast<Config&>(c)).*member));
        };
        f.set = [access, member](Config& c, const ConfigValue& v) {
            access(c).*member = *find_choice<T>(std::get<std::string>(v));
        };
        f.check = both(choice_check<T>(), std::move(check));
    } else {
        f.get = [access, member](const Config& c) { return ConfigValue(access(const_cast<Config&>(c)).*member); };
        f.set = [access, member](Config& c, const ConfigValue& v) { access(c).*member = std::get<T>(v); };
        f.check = std::move(check);
    }
    static const Config defaults;
    f.default_value = f.get(defaults);
    return f;
}

std::vector<ConfigField> make_fields() {
    std::vector<ConfigField> fields;
#define SM4_FIELD_ROW(type, name, default_value, check, description) \
    fields.push_back(make_field(prefix + "." #name, access, &Section::name, description, check));
#define SM4_SECTION(section_prefix, SectionType, path, ROWS)                          \
    {                                                                                 \
        using Section = SectionType;                                                  \
        const std::string prefix = section_prefix;                                    \
        Section& (*access)(Config&) = [](Config& c) -> Section& { return c.path; };   \
        ROWS(SM4_FIELD_ROW)                                                           \
    }
    SM4_CONFIG_SECTIONS(SM4_SECTION)
#undef SM4_SECTION
#undef SM4_FIELD_ROW
    return fields;
}

void require_ordered(double lo, double hi, const char* lo_key, const char* hi_key) {
    if (lo > hi) throw ConfigError(fmt::format("{} ({}) must not exceed {} ({})", lo_key, lo, hi_key, hi));
}

std::string format_number(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    std::string s = fmt::format("{}", x);
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";
    return s;
}

template <class T, class Format>
std::string format_list(const std::vector<T>& items, Format format) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + format(items[i]);
    return out + "]";
}

}  // namespace

std::string type_name(ConfigType type) {
    switch (type) {
        case ConfigType::Bool: return "boolean";
        case ConfigType::Int: return "integer";
        case ConfigType::Float: return "number";
        case ConfigType::String: case ConfigType::Choice: return "string";
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
    const auto& m = c.model;
    if (m.attention_head_dim == 0 && m.d_model % m.heads != 0)
        throw ConfigError(fmt::format("model.heads ({}) must divide model.d_model ({}) (or set model.attention_head_dim)",
                                      m.heads, m.d_model));
    if (m.attention_head_dim > 0 && m.backbone == Backbone::Sm4 && m.attention_router != RouterScope::None)
        throw ConfigError("model.attention_head_dim: SMoA's query, key and value experts are d_model wide; it is for "
                          "dense attention (model.backbone dense or smoe, or model.attention_router = \"none\")");
    for (auto k : m.modality_top_k)
        if (k < 1 || k > m.num_experts)
            throw ConfigError(fmt::format("model.modality_top_k: a token activates 1 to model.num_experts ({}) experts "
                                          "of a group, found {}", m.num_experts, k));
    for (std::size_t i = 0; i < m.sparse_layers.size(); ++i) {
        const auto layer = m.sparse_layers[i];
        if (layer < 1 || layer > m.layers)
            throw ConfigError(fmt::format("model.sparse_layers: layer {} is not among the model.layers ({}) layers, "
                                          "numbered from 1", layer, m.layers));
        for (std::size_t j = 0; j < i; ++j)
            if (m.sparse_layers[j] == layer)
                throw ConfigError(fmt::format("model.sparse_layers: layer {} is listed twice", layer));
    }
    for (const auto& task : c.train.pretrain_tasks)
        if (std::find(c.data.tasks.begin(), c.data.tasks.end(), task) == c.data.tasks.end())
            throw ConfigError(fmt::format("train.pretrain_tasks: {} is not among data.tasks ({})", json_quote(task),
                                          join(c.data.tasks, ", ")));
    if (!c.train.pretrain_tasks.empty() && c.train.pretrain_epochs == 0)
        throw ConfigError("train.pretrain_tasks is set but train.pretrain_epochs is 0: give the stage's epochs");
    if ((c.aea.enabled || c.pace.enabled) && m.backbone != Backbone::Sm4 && m.backbone != Backbone::Smoe)
        throw ConfigError(fmt::format("{} needs a routed backbone (sm4 or smoe), but model.backbone is \"{}\"",
                                      c.aea.enabled ? "aea.enabled" : "pace.enabled", to_string(m.backbone)));
    if (c.train.modality_records && m.backbone == Backbone::HighMmt)
        throw ConfigError("train.modality_records needs a network that runs with modalities absent; model.backbone "
                          "\"highmmt\" (its pair stage reads every modality) cannot");
    if (c.aea.max_k > m.num_experts)
        throw ConfigError(fmt::format("aea.max_k ({}) is above model.num_experts ({}): a slot cannot activate more "
                                      "experts than a group has", c.aea.max_k, m.num_experts));
    if (!c.train.task_weights.empty() && c.train.task_weights.size() != c.data.tasks.size())
        throw ConfigError(fmt::format("train.task_weights has {} weights for the {} tasks of data.tasks",
                                      c.train.task_weights.size(), c.data.tasks.size()));
    if (!c.train.task_batch_sizes.empty() && c.train.task_batch_sizes.size() != c.data.tasks.size())
        throw ConfigError(fmt::format("train.task_batch_sizes has {} sizes for the {} tasks of data.tasks",
                                      c.train.task_batch_sizes.size(), c.data.tasks.size()));
    for (auto b : c.train.task_batch_sizes)
        if (b < 1) throw ConfigError(fmt::format("train.task_batch_sizes: every batch size must be at least 1, found {}", b));
    if (!c.train.select_weights.empty() && c.train.select_weights.size() != c.data.tasks.size())
        throw ConfigError(fmt::format("train.select_weights has {} weights for the {} tasks of data.tasks",
                                      c.train.select_weights.size(), c.data.tasks.size()));
    for (double w : c.train.select_weights)
        if (!std::isfinite(w)) throw ConfigError(fmt::format("train.select_weights: every weight must be a finite number, found {}", w));
    if (m.match_flops != MatchFlops::None && m.backbone != Backbone::Dense)
        throw ConfigError(fmt::format("model.match_flops = \"{}\" sizes a dense model, but model.backbone is \"{}\"",
                                      to_string(m.match_flops), to_string(m.backbone)));
    if (c.train.pcgrad && c.train.loss_weighting != LossWeighting::Fixed && c.train.loss_weighting != LossWeighting::Equal)
        throw ConfigError(fmt::format("train.pcgrad needs train.loss_weighting \"fixed\" or \"equal\", not \"{}\" "
                                      "(its weights are learned from the summed loss)",
                                      to_string(c.train.loss_weighting)));
    for (double w : c.train.task_weights)
        if (!std::isfinite(w)) throw ConfigError(fmt::format("train.task_weights: every weight must be a finite number, found {}", w));
    const auto& d = c.preprocess.digits_av;
    require_ordered(d.rate_min, d.rate_max, "preprocess.digits_av.rate_min", "preprocess.digits_av.rate_max");
    require_ordered(d.pitch_min, d.pitch_max, "preprocess.digits_av.pitch_min", "preprocess.digits_av.pitch_max");
    require_ordered(d.snr_min_db, d.snr_max_db, "preprocess.digits_av.snr_min_db", "preprocess.digits_av.snr_max_db");
}

std::string format_config_value(const ConfigValue& value) {
    struct Visitor {
        std::string operator()(bool v) const { return v ? "true" : "false"; }
        std::string operator()(std::int64_t v) const { return std::to_string(v); }
        std::string operator()(double v) const { return format_number(v); }
        std::string operator()(const std::string& v) const { return json_quote(v); }
        std::string operator()(const Strings& v) const {
            return format_list(v, [](const std::string& x) { return json_quote(x); });
        }
        std::string operator()(const Integers& v) const {
            return format_list(v, [](std::int64_t x) { return std::to_string(x); });
        }
        std::string operator()(const Numbers& v) const { return format_list(v, format_number); }
    };
    return std::visit(Visitor{}, value);
}

Table config_keys_table() {
    Table table;
    table.columns = {{"key", "", 0, true}, {"type", "", 0, false}, {"default", "", 0, true}, {"meaning", "", 0, false}};
    for (const auto& f : config_fields()) {
        std::string type = type_name(f.type);
        if (f.type == ConfigType::Choice) type = "one of " + join(f.choices, ", ");
        std::string shown = format_config_value(f.default_value);
        if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
        table.add_row({text_cell(f.key), text_cell(type), value_cell(format_config_value(f.default_value), shown),
                       text_cell(f.description)});
    }
    return table;
}

}  // namespace sm4

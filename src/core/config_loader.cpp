#include "core/config_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <variant>
#include <toml++/toml.h>

#include "core/config_schema.h"
#include "core/errors.h"
#include "core/json.h"
#include "core/text.h"
#include "core/toml_limits.h"
#include "core/toml_text.h"

namespace sm4 {
namespace {

// Keys of sm4's design 1 (before the paper's network, docs/sm4.md "Design 1"), and what took
// their place. A stored config (a run's or a checkpoint's) that holds them reads without them and
// lists them in `retired`; in a config file or --set they are an error that says so.
struct RetiredKey {
    const char* key;
    const char* why;
};
constexpr const char* kTokensRetired =
    "design 1's convolutional patch tokens were retired: every backbone takes Algorithm 1's tokens (model.token_rules)";
constexpr const char* kPartitionRetired =
    "design 1's per-modality expert partition was retired: one expert pool per group, routed by model.ffn_router and "
    "model.attention_router";
constexpr const char* kHeadsRetired =
    "design 1's attention-head experts were retired: SMoA routes query, key and value expert groups "
    "(model.attention_router)";
constexpr const char* kProbeRetired =
    "design 1's allocation probe was retired: AEA is Algorithm 3, run during training (aea.enabled, aea.max_k)";
constexpr const char* kPaceRetired =
    "design 1's pace from the entropy's rate of change was retired: ALP is Algorithm 4 (pace.mechanism, "
    "pace.entropy, pace.start_weight)";
constexpr RetiredKey kRetiredKeys[] = {
    {"pace.apply", kPaceRetired},
    {"pace.beta", kPaceRetired},
    {"pace.gain", kPaceRetired},
    {"pace.min", kPaceRetired},
    {"pace.max", kPaceRetired},
    {"model.position", kTokensRetired},
    {"model.patch_size", kTokensRetired},
    {"model.image_grid", kTokensRetired},
    {"model.group_by", kPartitionRetired},
    {"model.group_experts", kPartitionRetired},
    {"model.shared_experts", kPartitionRetired},
    {"model.attention_experts", kHeadsRetired},
    {"model.attention_top_k", kHeadsRetired},
    {"model.top_k", "model.top_k was replaced by model.modality_top_k (one value, or one per modality slot)"},
    {"aea.candidates", kProbeRetired},
    {"aea.budget", kProbeRetired},
    {"aea.probe_steps", kProbeRetired},
    {"aea.probe_train_examples", kProbeRetired},
    {"aea.rule", kProbeRetired},
    {"aea.tolerance", kProbeRetired},
};

const RetiredKey* find_retired(const std::string& key) {
    for (const auto& r : kRetiredKeys)
        if (key == r.key) return &r;
    return nullptr;
}

// Whether retired keys are skipped (stored configs) or refused (files, --set).
enum class Retired { Refuse, Skip };

std::vector<std::string> all_keys() {
    std::vector<std::string> keys;
    for (const auto& f : config_fields()) keys.push_back(f.key);
    return keys;
}

bool is_section(const std::string& prefix) {
    for (const auto& f : config_fields())
        if (f.key.rfind(prefix + ".", 0) == 0) return true;
    return false;
}

std::string with_article(const std::string& noun) {
    return (std::string("aeiou").find(noun.front()) != std::string::npos ? "an " : "a ") + noun;
}

std::string node_type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a number";
        case toml::node_type::boolean: return "a boolean";
        default: return "a date or time";
    }
}

template <class T, class Accept>
std::optional<std::vector<T>> list_of(const toml::node& node, Accept accept) {
    const toml::array* array = node.as_array();
    if (!array) return std::nullopt;
    std::vector<T> out;
    for (const auto& element : *array) {
        auto value = accept(element);
        if (!value) return std::nullopt;
        out.push_back(*value);
    }
    return out;
}

std::optional<std::int64_t> as_int(const toml::node& n) { return n.value_exact<std::int64_t>(); }
std::optional<double> as_number(const toml::node& n) {
    if (n.is_integer()) return static_cast<double>(*n.value_exact<std::int64_t>());
    return n.value_exact<double>();
}
std::optional<std::string> as_string(const toml::node& n) { return n.value_exact<std::string>(); }

// The node converted to the field's type, or nullopt when it has another type.
std::optional<ConfigValue> convert(const toml::node& node, ConfigType type) {
    switch (type) {
        case ConfigType::Bool:
            if (auto v = node.value_exact<bool>()) return ConfigValue(*v);
            return std::nullopt;
        case ConfigType::Int:
            if (auto v = as_int(node)) return ConfigValue(*v);
            return std::nullopt;
        case ConfigType::Float:
            if (auto v = as_number(node)) return ConfigValue(*v);
            return std::nullopt;
        case ConfigType::String:
        case ConfigType::Choice:
            if (auto v = as_string(node)) return ConfigValue(*v);
            return std::nullopt;
        case ConfigType::StringList:
            if (auto v = list_of<std::string>(node, as_string)) return ConfigValue(*v);
            return std::nullopt;
        case ConfigType::IntList:
            if (auto v = list_of<std::int64_t>(node, as_int)) return ConfigValue(*v);
            return std::nullopt;
        case ConfigType::FloatList:
            if (auto v = list_of<double>(node, as_number)) return ConfigValue(*v);
            return std::nullopt;
    }
    return std::nullopt;
}

void assign(ResolvedConfig& config, const ConfigField& field, const ConfigValue& value, const std::string& where) {
    // Every string key is a name, a path or a choice: a control character (a NUL would cut every
    // message and path that carries it) is always a mistake.
    auto refuse_control = [&](const std::string& text) {
        if (has_control_characters(text))
            throw ConfigError(fmt::format("{}: key '{}' expects text without control characters, found \"{}\"", where,
                                          field.key, printable(text)));
    };
    if (const auto* text = std::get_if<std::string>(&value)) refuse_control(*text);
    if (const auto* texts = std::get_if<Strings>(&value))
        for (const auto& text : *texts) refuse_control(text);
    if (field.check) {
        if (auto expected = field.check(value))
            throw ConfigError(fmt::format("{}: key '{}' expects {}", where, field.key, *expected));
    }
    field.set(config.values, value);
    config.sources[field.key] = where;
}

[[noreturn]] void refuse_retired(const RetiredKey& retired, const std::string& where) {
    throw ConfigError(fmt::format("{}: key '{}' is no longer read: {} (docs/sm4.md)", where, retired.key, retired.why));
}

// One key's value; `where` ("file.toml:12") names it in sources and errors.
void apply_leaf(ResolvedConfig& config, const toml::node& node, const std::string& key, const std::string& where,
                Retired retired = Retired::Refuse) {
    if (const RetiredKey* r = find_retired(key)) {
        if (retired == Retired::Refuse) refuse_retired(*r, where);
        config.retired.push_back(key);
        return;
    }
    if (const ConfigField* field = find_config_field(key)) {
        auto value = convert(node, field->type);
        if (!value)
            throw ConfigError(fmt::format("{}: key '{}' expects {}, found {}", where, key,
                                          with_article(type_name(field->type)), node_type_name(node)));
        assign(config, *field, *value, where);
        return;
    }
    if (is_section(key))
        throw ConfigError(fmt::format("{}: '{}' is a section and expects a table, found {}", where, key,
                                      node_type_name(node)));
    throw ConfigError(fmt::format("{}: unknown key '{}'{}", where, key, did_you_mean(key, all_keys())));
}

void apply_node(ResolvedConfig& config, const toml::node& node, const std::string& key, const std::string& origin,
                Retired retired) {
    if (const toml::table* table = node.as_table(); table && !find_config_field(key) && is_section(key)) {
        for (const auto& [name, child] : *table)
            apply_node(config, child, key + "." + std::string(name.str()), origin, retired);
        return;
    }
    apply_leaf(config, node, key, fmt::format("{}:{}", origin, node.source().begin.line), retired);
}

// The [method.NAME] tables: each key checked as a file's would be (on a scratch config), kept
// as TOML text for apply_method.
void collect_methods(ResolvedConfig& config, const toml::node& node, const std::string& origin) {
    const toml::table* methods = node.as_table();
    if (!methods)
        throw ConfigError(fmt::format("{}:{}: 'method' expects tables [method.NAME]", origin, node.source().begin.line));
    for (const auto& [name, table] : *methods) {
        const toml::table* settings = table.as_table();
        if (!settings)
            throw ConfigError(fmt::format("{}:{}: 'method.{}' expects a table of keys", origin, table.source().begin.line,
                                          std::string(name.str())));
        std::vector<std::pair<std::string, const toml::node*>> leaves;
        std::vector<std::pair<std::string, const toml::table*>> open{{"", settings}};
        while (!open.empty()) {
            const auto [prefix, t] = open.back();
            open.pop_back();
            for (const auto& [key, child] : *t) {
                const std::string full = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
                if (child.as_table() && !find_config_field(full)) open.emplace_back(full, child.as_table());
                else leaves.emplace_back(full, &child);
            }
        }
        auto& list = config.methods[std::string(name.str())];
        for (const auto& [key, child] : leaves) {
            const std::string where = fmt::format("{}:{}", origin, child->source().begin.line);
            ResolvedConfig scratch = default_config();
            apply_leaf(scratch, *child, key, where);  // unknown keys and wrong types fail here
            toml::table holder;
            holder.insert("v", *child);
            std::ostringstream text;
            text << holder;
            std::string value = text.str();
            value = value.substr(value.find('=') + 1);
            list.erase(std::remove_if(list.begin(), list.end(), [&](const MethodSetting& m) { return m.key == key; }), list.end());
            list.push_back({key, std::string(trim(value)), where});
        }
    }
}

void apply_document(ResolvedConfig& config, std::string_view text, const std::string& origin,
                    const std::vector<std::string>& skip_tables, Retired retired) {
    const toml::table doc = parse_toml_text(text, origin);
    for (const auto& [name, node] : doc) {
        const std::string key(name.str());
        if (key == "method") collect_methods(config, node, origin);
        else if (std::find(skip_tables.begin(), skip_tables.end(), key) == skip_tables.end())
            apply_node(config, node, key, origin, retired);
    }
}

}  // namespace

ResolvedConfig default_config() {
    ResolvedConfig config;
    for (const auto& f : config_fields()) config.sources[f.key] = "default";
    return config;
}

void apply_toml(ResolvedConfig& config, std::string_view text, const std::string& origin) {
    apply_toml(config, text, origin, {});
}

void apply_toml(ResolvedConfig& config, std::string_view text, const std::string& origin,
                const std::vector<std::string>& skip_tables) {
    apply_document(config, text, origin, skip_tables, Retired::Refuse);
}

void apply_stored_toml(ResolvedConfig& config, std::string_view text, const std::string& origin) {
    apply_document(config, text, origin, {}, Retired::Skip);
}

void apply_toml_value(ResolvedConfig& config, const std::string& key, std::string_view value, const std::string& where) {
    check_toml_limits(value, fmt::format("{}: key '{}'", where, key));
    toml::table doc;
    try {
        doc = toml::parse("v = " + std::string(value));
    } catch (const toml::parse_error& e) {
        throw ConfigError(fmt::format("{}: key '{}': invalid TOML value {}: {}", where, key, value, e.description()));
    }
    apply_leaf(config, *doc.get("v"), key, where);
}

void apply_toml_file(ResolvedConfig& config, const std::filesystem::path& path) {
    apply_toml(config, read_toml_file_text(path, "config file"), path.string());
}

void apply_override(ResolvedConfig& config, const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos)
        throw ConfigError(fmt::format("--set '{}': expected section.key=value", assignment));
    const std::string key(trim(std::string_view(assignment).substr(0, eq)));
    const std::string text(trim(std::string_view(assignment).substr(eq + 1)));
    if (const RetiredKey* r = find_retired(key)) refuse_retired(*r, "--set");
    const ConfigField* field = find_config_field(key);
    if (!field)
        throw ConfigError(fmt::format("--set: unknown key '{}'{}", key, did_you_mean(key, all_keys())));

    check_toml_limits(text, fmt::format("--set: key '{}'", key));
    std::optional<ConfigValue> value;
    try {
        const toml::table doc = toml::parse("v = " + text);
        value = convert(*doc.get("v"), field->type);
        if (!value && (field->type == ConfigType::String || field->type == ConfigType::Choice)) value = ConfigValue(text);
    } catch (const toml::parse_error&) {
        // Not TOML: a bare word is a string, a bare comma-separated list a list of strings.
        if (field->type == ConfigType::String || field->type == ConfigType::Choice) value = ConfigValue(text);
        if (field->type == ConfigType::StringList) {
            std::vector<std::string> items;
            for (const auto& item : split(text, ',')) items.emplace_back(trim(item));
            value = ConfigValue(items);
        }
    }
    if (!value)
        throw ConfigError(
            fmt::format("--set: key '{}' expects {}, found '{}'", key, with_article(type_name(field->type)), text));
    assign(config, *field, *value, "--set");
}

void set_config_value(ResolvedConfig& config, const std::string& key, const ConfigValue& value,
                      const std::string& source) {
    const ConfigField* field = find_config_field(key);
    if (!field) throw ConfigError(fmt::format("{}: unknown key '{}'{}", source, key, did_you_mean(key, all_keys())));
    assign(config, *field, value, source);
}

namespace {

Json value_json(const ConfigValue& value) {
    return std::visit(
        [](const auto& v) -> Json {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> ||
                          std::is_same_v<T, std::string>) {
                return Json(v);
            } else {
                Json list = Json::array();
                for (const auto& element : v) list.push(Json(element));
                return list;
            }
        },
        value);
}

}  // namespace

Json config_json(const ResolvedConfig& config) {
    Json values = Json::object(), sources = Json::object();
    std::string section;
    Json table = Json::object();
    for (const auto& f : config_fields()) {
        const auto dot = f.key.rfind('.');
        const std::string this_section = f.key.substr(0, dot);
        if (this_section != section) {
            if (!section.empty()) values.set(section, table);
            section = this_section;
            table = Json::object();
        }
        table.set(f.key.substr(dot + 1), value_json(f.get(config.values)));
        sources.set(f.key, config.sources.at(f.key));
    }
    if (!section.empty()) values.set(section, table);
    return Json::object().set("values", values).set("sources", sources);
}

std::string database_flag(const std::string& database, const std::string& default_database) {
    namespace fs = std::filesystem;
    if (!default_database.empty() && fs::path(database).lexically_normal() == fs::path(default_database).lexically_normal())
        return "";
    return " --db " + shell_quote(database);
}

std::string default_database() {
    const char* env = std::getenv("SM4_DB");
    return env != nullptr && *env != '\0' ? env : kDefaultDatabase;
}

std::string database_flag(const std::string& database) {
    return database_flag(database, default_database() == kDefaultDatabase ? kDefaultDatabase : "");
}

ResolvedConfig environment_defaults() {
    ResolvedConfig config = default_config();
    for (const auto& [variable, key] : kEnvironmentDefaults) {
        const char* value = std::getenv(variable);
        if (value == nullptr || *value == '\0') continue;
        set_config_value(config, key, std::string(value), fmt::format("env {}", variable));
    }
    return config;
}

void apply_method(ResolvedConfig& config, const std::string& name) {
    const auto it = config.methods.find(name);
    if (it == config.methods.end()) return;
    for (const auto& m : it->second) apply_toml_value(config, m.key, m.toml, m.where);
}

ResolvedConfig load_config(const std::vector<std::filesystem::path>& files, const std::vector<std::string>& overrides,
                           const std::string& method) {
    ResolvedConfig config = environment_defaults();
    for (const auto& file : files) apply_toml_file(config, file);
    if (!method.empty()) {
        if (!config.methods.count(method)) {
            std::vector<std::string> names;
            for (const auto& [n, settings] : config.methods) names.push_back(n);
            throw UsageError(fmt::format("--method {}: the config files have no [method.{}] table{}", method, method,
                                         names.empty() ? std::string() : " (they have: " + join(names, ", ") + ")"));
        }
        apply_method(config, method);
    }
    for (const auto& assignment : overrides) apply_override(config, assignment);
    validate_config(config.values);
    return config;
}

std::string to_toml(const ResolvedConfig& config, bool with_sources) {
    std::string out;
    std::string current_section;
    std::vector<std::pair<std::string, std::string>> lines;  // text, source
    auto flush = [&] {
        std::size_t width = 0;
        for (const auto& line : lines) width = std::max(width, line.first.size());
        for (const auto& [text, source] : lines) {
            out += text;
            if (with_sources) out += std::string(width - text.size() + 2, ' ') + "# " + source;
            out += "\n";
        }
        lines.clear();
    };
    for (const auto& f : config_fields()) {
        const auto dot = f.key.rfind('.');
        const std::string section = f.key.substr(0, dot);
        if (section != current_section) {
            flush();
            out += fmt::format("{}[{}]\n", out.empty() ? "" : "\n", section);
            current_section = section;
        }
        const auto source = config.sources.find(f.key);
        lines.emplace_back(f.key.substr(dot + 1) + " = " + format_config_value(f.get(config.values)),
                           source == config.sources.end() ? "default" : source->second);
    }
    flush();
    return out;
}

}  // namespace sm4

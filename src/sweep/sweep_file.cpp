#include "sweep/sweep_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <toml++/toml.h>

#include "core/errors.h"
#include "core/text.h"
#include "core/toml_text.h"

namespace sm4 {
namespace {

std::string read_text(const std::filesystem::path& path) { return read_toml_file_text(path, "the sweep file"); }

std::string where(const SweepFile& file, const toml::node& node) {
    return fmt::format("{}:{}", file.path.string(), node.source().begin.line);
}

std::string toml_text(const toml::node& node) {
    std::ostringstream out;
    node.visit([&](const auto& value) { out << value; });
    return out.str();
}

// The value the way --set takes it: strings bare, lists comma-separated.
std::string label_text(const toml::node& node) {
    if (const auto* array = node.as_array()) {
        std::vector<std::string> items;
        for (const auto& item : *array) items.push_back(label_text(item));
        return join(items, ",");
    }
    if (auto text = node.value_exact<std::string>()) return *text;
    if (auto number = node.value_exact<double>()) return fmt::format("{}", *number);
    return toml_text(node);
}

SweepValue value_of(const SweepFile& file, const toml::node& node) {
    return {toml_text(node), label_text(node), where(file, node)};
}

// Dotted keys (train.lr = ...) and quoted ones ("train.lr" = ...) both become "train.lr".
using Leaves = std::vector<std::pair<std::string, const toml::node*>>;
void flatten(const SweepFile& file, const toml::table& table, const std::string& prefix, Leaves& out) {
    for (const auto& [name, node] : table) {
        const std::string key = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
        if (const auto* inner = node.as_table()) {
            flatten(file, *inner, key, out);
            continue;
        }
        for (const auto& [seen, seen_node] : out)
            if (seen == key) throw ConfigError(fmt::format("{}: key '{}' is given twice", where(file, node), key));
        out.emplace_back(key, &node);
    }
}

std::vector<std::int64_t> read_seeds(const SweepFile& file, const toml::node& node) {
    std::vector<std::int64_t> seeds;
    const auto* array = node.as_array();
    if (array)
        for (const auto& item : *array)
            if (auto seed = item.value_exact<std::int64_t>()) seeds.push_back(*seed);
    if (!array || array->empty() || seeds.size() != array->size())
        throw ConfigError(fmt::format("{}: [sweep] seeds expects a non-empty list of integers (train.seed values)",
                                      where(file, node)));
    return seeds;
}

const char* expected_type(std::string_view variant_field) {
    if (variant_field == "set") return "a table of config keys, e.g. set = { \"model.backbone\" = \"dense\" }";
    if (variant_field == "scale") return "a table of config keys and factors, e.g. scale = { \"model.ffn_hidden\" = 4 }";
    if (variant_field == "keep") return "a list of config keys, e.g. keep = [\"model.token_rules\"]";
    return variant_field == "name" || variant_field == "method" || variant_field == "unless_same_as" ? "a string"
                                                                                                   : "true or false";
}

constexpr const char* kVariantFields[] = {"name", "set", "per_task", "method", "keep", "scale", "unless_same_as"};

void read_scale(const SweepFile& file, const toml::table& table, SweepVariant& variant) {
    Leaves leaves;
    flatten(file, table, "", leaves);
    for (const auto& [key, value] : leaves) {
        std::optional<double> factor = value->value<double>();
        if (!factor || !(*factor > 0.0) || !std::isfinite(*factor))
            throw ConfigError(fmt::format("{}: [[sweep.variant]] scale '{}' expects a positive finite factor",
                                          where(file, *value), key));
        variant.scale.push_back({key, *factor, where(file, *value)});
    }
}

bool read_keep(const SweepFile& file, const toml::node& field, SweepVariant& variant) {
    const auto* array = field.as_array();
    if (!array) return false;
    for (const auto& item : *array) {
        if (!item.is_string()) return false;
        variant.keep.push_back({*item.value_exact<std::string>(), {"", "", where(file, item)}});
    }
    return true;
}

SweepVariant read_variant(const SweepFile& file, const toml::node& node) {
    const auto* table = node.as_table();
    if (!table)
        throw ConfigError(fmt::format("{}: [sweep] variant expects [[sweep.variant]] tables", where(file, node)));
    SweepVariant variant;
    for (const auto& [name, field] : *table) {
        bool read = true;
        if (name == "name" && field.is_string()) {
            variant.name = *field.value_exact<std::string>();
        } else if (name == "method" && field.is_string()) {
            variant.method = *field.value_exact<std::string>();
        } else if (name == "unless_same_as" && field.is_string()) {
            variant.unless_same_as = *field.value_exact<std::string>();
        } else if (name == "per_task" && field.is_boolean()) {
            variant.per_task = *field.value_exact<bool>();
        } else if (name == "set" && field.is_table()) {
            Leaves leaves;
            flatten(file, *field.as_table(), "", leaves);
            for (const auto& [key, value] : leaves) variant.set.push_back({key, value_of(file, *value)});
        } else if (name == "scale" && field.is_table()) {
            read_scale(file, *field.as_table(), variant);
        } else if (name == "keep") {
            read = read_keep(file, field, variant);
        } else {
            read = false;
        }
        if (read) continue;
        if (std::find(std::begin(kVariantFields), std::end(kVariantFields), name.str()) != std::end(kVariantFields))
            throw ConfigError(fmt::format("{}: [[sweep.variant]] field '{}' expects {}", where(file, field), name.str(),
                                          expected_type(name.str())));
        throw ConfigError(fmt::format("{}: [[sweep.variant]] has no field '{}' (it takes {})", where(file, field),
                                      name.str(), join({std::begin(kVariantFields), std::end(kVariantFields)}, ", ")));
    }
    if (variant.name.empty())
        throw ConfigError(fmt::format("{}: [[sweep.variant]] needs a name", where(file, node)));
    return variant;
}

void read_variants(SweepFile& file, const toml::node& node) {
    const auto* array = node.as_array();
    if (!array) throw ConfigError(fmt::format("{}: [sweep] variant expects [[sweep.variant]] tables", where(file, node)));
    for (const auto& item : *array) {
        SweepVariant variant = read_variant(file, item);
        for (const auto& other : file.variants)
            if (other.name == variant.name)
                throw ConfigError(fmt::format("{}: a second variant is named '{}'", where(file, item), variant.name));
        file.variants.push_back(std::move(variant));
    }
}

void read_axes(SweepFile& file, const Leaves& leaves) {
    for (const auto& [key, node] : leaves) {
        const auto* array = node->as_array();
        if (!array || array->empty())
            throw ConfigError(fmt::format("{}: [sweep] key '{}' expects a non-empty list of values, one per grid "
                                          "point, e.g. {} = [1, 2]", where(file, *node), key, key));
        SweepAxis axis{key, {}};
        for (const auto& item : *array) axis.values.push_back(value_of(file, item));
        file.axes.push_back(std::move(axis));
    }
    std::sort(file.axes.begin(), file.axes.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
}

void read_sweep_table(SweepFile& file, const toml::node& node) {
    const auto* table = node.as_table();
    if (!table) throw ConfigError(fmt::format("{}: 'sweep' expects a table", where(file, node)));
    Leaves axes;
    for (const auto& [name, item] : *table) {
        if (name == "name") {
            auto text = item.value_exact<std::string>();
            if (!text || text->empty())
                throw ConfigError(fmt::format("{}: [sweep] name expects a non-empty string", where(file, item)));
            file.name = *text;
        } else if (name == "seeds") {
            file.seeds = read_seeds(file, item);
        } else if (name == "default_base") {
            if (!item.is_string())
                throw ConfigError(fmt::format("{}: [sweep] default_base expects a string: an experiment file beside "
                                              "this one, e.g. \"minibench-ablation.toml\"", where(file, item)));
        } else if (name == "variant") {
            read_variants(file, item);
        } else if (const auto* inner = item.as_table()) {
            flatten(file, *inner, std::string(name.str()), axes);
        } else {
            axes.emplace_back(std::string(name.str()), &item);
        }
    }
    read_axes(file, axes);
}

}  // namespace

SweepFile read_sweep_file(const std::filesystem::path& path, const std::vector<std::filesystem::path>& bases) {
    SweepFile file;
    file.path = path;
    file.name = path.stem().string();
    const std::string text = read_text(path);
    ResolvedConfig probe = environment_defaults();
    apply_toml(probe, text, path.string(), {"sweep"});  // reports bad TOML and unknown keys first
    const toml::table doc = toml::parse(text, path.string());
    std::vector<std::filesystem::path> applied = bases;
    if (const toml::node* fallback = doc.at_path("sweep.default_base").node(); fallback && bases.empty() &&
                                                                             fallback->is_string()) {
        const auto base = path.parent_path() / *fallback->value_exact<std::string>();
        if (!std::filesystem::exists(base))
            throw ConfigError(fmt::format("{}: [sweep] default_base: {} does not exist", where(file, *fallback),
                                          base.string()));
        applied.push_back(base);
    }
    file.base = environment_defaults();
    for (const auto& base : applied) apply_toml(file.base, read_text(base), base.string(), {"sweep"});
    apply_toml(file.base, text, path.string(), {"sweep"});
    if (const toml::node* sweep = doc.get("sweep")) read_sweep_table(file, *sweep);
    if (file.variants.empty()) {
        SweepVariant base;
        base.name = "base";
        file.variants.push_back(base);
    }
    if (!bases.empty() && !doc.at_path("sweep.name")) {  // "methods@small": one name per experiment
        std::vector<std::string> stems;
        for (const auto& base : bases) stems.push_back(base.stem().string());
        file.name += "@" + join(stems, "+");
    }
    return file;
}

}  // namespace sm4

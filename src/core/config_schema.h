// The table of configuration keys, made from the rows of config.h: for each dotted key its type,
// default, description, range check and accessors into Config. The loader, `--dump-config`,
// `sm4 config --keys` and the README's key table all read it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/config.h"

namespace sm4 {

struct Table;

// A choice key's value travels as its word (a std::string).
using ConfigValue = std::variant<bool, std::int64_t, double, std::string, Strings, Integers, Numbers>;

enum class ConfigType { Bool, Int, Float, String, Choice, StringList, IntList, FloatList };

std::string type_name(ConfigType type);  // "integer", "list of strings", ... (a choice is a "string")

struct ConfigField {
    std::string key;          // "data.val_fraction"
    ConfigType type;
    std::string description;
    std::vector<std::string> choices;  // a choice key's words, in enum order
    ConfigValue default_value;
    std::function<ConfigValue(const Config&)> get;
    // Stores a value of the field's type; a choice's word must be one of `choices` (check first).
    std::function<void(Config&, const ConfigValue&)> set;
    // What is allowed, when the value is not (out of range, not finite, not a choice, empty list).
    std::function<std::optional<std::string>(const ConfigValue&)> check;
};

// Every key, in the order `--dump-config` prints them.
const std::vector<ConfigField>& config_fields();

// The field for a dotted key, or nullptr.
const ConfigField* find_config_field(const std::string& key);

// Range checks after all sources are applied (cross-key constraints such as min <= max).
// Throws ConfigError naming the keys.
void validate_config(const Config& config);

// A value as TOML text: 3, 0.5, "x", ["a", "b"]; nan and inf as TOML spells them; strings escaped
// as JSON escapes them (the same escapes are TOML's).
std::string format_config_value(const ConfigValue& value);

// Every key: key, type, default, description (`sm4 config --keys`; in markdown, the README's table).
Table config_keys_table();

}  // namespace sm4

// The table of configuration keys: for each dotted key its type, description, range check and
// accessors into Config. The loader, `--dump-config` and the README's key list all read it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/config.h"

namespace sm4 {

using ConfigValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>,
                                 std::vector<std::int64_t>, std::vector<double>>;

enum class ConfigType { Bool, Int, Float, String, StringList, IntList, FloatList };

std::string type_name(ConfigType type);  // "integer", "list of strings", ...

struct ConfigField {
    std::string key;          // "data.val_fraction"
    ConfigType type;
    std::string description;
    std::function<ConfigValue(const Config&)> get;
    std::function<void(Config&, const ConfigValue&)> set;
    // Returns a description of what is allowed when the value is out of range.
    std::function<std::optional<std::string>(const ConfigValue&)> check;
};

// Every key, in the order `--dump-config` prints them.
const std::vector<ConfigField>& config_fields();

// The field for a dotted key, or nullptr.
const ConfigField* find_config_field(const std::string& key);

// Range checks after all sources are applied (cross-key constraints such as min <= max).
// Throws ConfigError naming the keys.
void validate_config(const Config& config);

}  // namespace sm4

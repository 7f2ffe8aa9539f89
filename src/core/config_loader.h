// Builds the resolved configuration: defaults < environment (SM4_DB, SM4_DATA_ROOT) < TOML files
// (later wins) < --set overrides.
// Every value remembers where it came from, so `--dump-config` can say so.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config_schema.h"
#include "core/json.h"

namespace sm4 {

// One key of an experiment file's [method.NAME] table: what that method's runs of the
// experiment set besides the method's own switches (HighMMT's latents in one task group, ...).
struct MethodSetting {
    std::string key;    // "model.latents"
    std::string toml;   // its value as TOML text
    std::string where;  // "file.toml:12"
};

struct ResolvedConfig {
    Config values;
    std::map<std::string, std::string> sources;  // key -> "default", "file.toml:12" or "--set"
    // Keys of sm4's design 1 that a stored config held and that were skipped (apply_stored_toml):
    // non-empty means the run was trained by the retired design (docs/sm4.md, "Design 1").
    std::vector<std::string> retired;
    // The [method.NAME] tables of the files applied, by NAME (checked, not applied: see
    // apply_method); a later file's key replaces an earlier one's.
    std::map<std::string, std::vector<MethodSetting>> methods;
};

// Applies the [method.NAME] table of the files read into `config` (nothing when they have none).
void apply_method(ResolvedConfig& config, const std::string& name);

// Defaults only, each marked "default".
ResolvedConfig default_config();

// Environment variables that replace a default: a file or --set still wins over them.
inline constexpr std::pair<const char*, const char*> kEnvironmentDefaults[] = {
    {"SM4_DB", "output.database"},
    {"SM4_DATA_ROOT", "data.root"},
};

// The defaults with those the environment sets (source "env SM4_DB"); what load_config and sweep
// files start from. A stored config starts from default_config(): it names every key itself.
ResolvedConfig environment_defaults();

// Applies a TOML document. `origin` names it in sources and errors (a path, or "stored config").
// Throws ConfigError naming origin, line and key for unknown keys and wrong types.
void apply_toml(ResolvedConfig& config, std::string_view text, const std::string& origin);
// The same, leaving the named top-level tables (such as an experiment's [sweep]) to the caller.
void apply_toml(ResolvedConfig& config, std::string_view text, const std::string& origin,
                const std::vector<std::string>& skip_tables);
void apply_toml_file(ResolvedConfig& config, const std::filesystem::path& path);
// A stored config (a run's or a checkpoint's): as apply_toml, but keys of sm4's design 1 are
// skipped and listed in config.retired instead of refused.
void apply_stored_toml(ResolvedConfig& config, std::string_view text, const std::string& origin);

// Applies one key whose value is TOML text ("train.lr", "1e-3"); `where` ("sweep.toml:12")
// names it in sources and errors, which are those of apply_toml.
void apply_toml_value(ResolvedConfig& config, const std::string& key, std::string_view value, const std::string& where);

// Applies one "section.key=value" override. The value is read as TOML; a bare word is taken as a
// string, and a bare comma-separated list as a list.
void apply_override(ResolvedConfig& config, const std::string& assignment);

// Sets one key to a typed value (checked as a file's value would be) and records `source` as
// where it came from; e.g. the solved model.ffn_hidden of model.match_flops, source "match_flops".
void set_config_value(ResolvedConfig& config, const std::string& key, const ConfigValue& value,
                      const std::string& source);

// Defaults, then each file, then the [method.NAME] tables of `method` (when given), then each
// override, then the cross-key checks. UsageError when `method` names no table of the files.
ResolvedConfig load_config(const std::vector<std::filesystem::path>& files,
                           const std::vector<std::string>& overrides, const std::string& method = "");

// The resolved configuration as JSON: {"values": {"data": {"root": "datasets", ...}, ...},
// "sources": {"data.root": "default", ...}}, sections and keys in schema order.
Json config_json(const ResolvedConfig& config);

// The resolved configuration as TOML; with_sources adds "# from ..." after each value.
std::string to_toml(const ResolvedConfig& config, bool with_sources);

}  // namespace sm4

// The [sweep] table of an experiment file, read but not yet expanded: the sweep's name, its
// seeds, its grid axes and its named variants. The rest of the file is the base config.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config_loader.h"

namespace sm4 {

// One value for a config key, as written in the file.
struct SweepValue {
    std::string toml;   // TOML text, for apply_toml_value ("'dense'", "0.001", "[ 'wine' ]")
    std::string label;  // as --set would take it ("dense", "0.001", "wine")
    std::string where;  // "file.toml:12"
};

struct SweepAxis {
    std::string key;                  // "train.lr"
    std::vector<SweepValue> values;
};

struct SweepSetting {
    std::string key;
    SweepValue value;
};

// A key multiplied by a factor: scale = { "model.ffn_hidden" = 4 } (Table 7's wider models).
struct SweepScale {
    std::string key;
    double factor = 1.0;
    std::string where;
};

// What a variant changes, in order: `set` over the base and the grid point; the experiment's
// [method.<method>] table (method: the variant's name unless given); `keep`: keys restored to the
// base's value after that table (HighMMT's network with the experiment's token cuts); `scale`:
// integer and number keys multiplied (integers rounded). --set comes last.
struct SweepVariant {
    std::string name;
    std::vector<SweepSetting> set;
    bool per_task = false;            // one run per task of data.tasks
    std::string method;               // empty: the name
    std::vector<SweepSetting> keep;   // key, and where it was named (value unused)
    std::vector<SweepScale> scale;
    // A variant's runs whose config equals a run of this variant (the same seed and task) are
    // left out of the plan, with a note: highmmt-sm4-tokens where SM4's token cuts are HighMMT's.
    std::string unless_same_as;
};

struct SweepFile {
    std::filesystem::path path;
    ResolvedConfig base;              // defaults + the file without [sweep]
    std::string name;                 // [sweep] name, or the file's stem
    std::vector<std::int64_t> seeds;  // empty: each run keeps its train.seed
    std::vector<SweepAxis> axes;      // in key order (TOML tables do not keep file order)
    std::vector<SweepVariant> variants;  // as listed; one named "base" when none is
};

// Reads and checks the file. ConfigError naming the file, the line and the key for anything
// wrong: bad TOML, an unknown key in the base, an axis that is not a list, a variant without a
// name or with an unknown field. Keys of axes and variants are checked against the config when
// the plan is made (make_sweep_plan). `bases` are config files applied, in order, between the
// defaults and the file itself (a [sweep] table in them is ignored), so one sweep of methods can
// run over several experiments; with none, the file's [sweep] default_base (a file beside it) is
// the base when it names one.
SweepFile read_sweep_file(const std::filesystem::path& path, const std::vector<std::filesystem::path>& bases = {});

}  // namespace sm4

// A sweep expanded into its runs: variants x grid points x seeds (x tasks for per_task
// variants), each with its resolved config and config hash, in one deterministic order; and the
// slice of it one machine runs (--shard i/n).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config_loader.h"

namespace sm4 {

struct SweepRun {
    std::size_t index = 0;           // position in the full list, from 0; shards split by it
    std::string variant;
    std::string task;                // per_task variants: the run's only task; else empty
    std::vector<std::string> grid;   // the grid point, one "key=value" per axis in axis order
    std::int64_t seed = 0;
    ResolvedConfig config;
    std::string config_hash;

    std::string label() const;       // "single-task wine train.lr=0.001 seed 1"
};

struct SweepPlan {
    std::filesystem::path file;
    std::string name;                // recorded in runs.sweep
    std::vector<std::string> axes;   // grid axis keys, in order
    std::vector<SweepRun> runs;
    std::vector<std::string> notes;  // variants left out (unless_same_as) and why
};

// Reads the file and expands it. Each run's config is: defaults < the file without [sweep] <
// its grid point < its variant's set < `overrides` (--set) < per_task's data.tasks and
// train.task_weights < its seed. Order: variants as listed, then grid points (the last axis
// varying fastest), then seeds, then tasks. ConfigError naming the file, line and key for an
// unknown key or a wrong value anywhere, and when two runs resolve to the same config. `bases`:
// config files under the file (read_sweep_file); `seeds`, when not empty, replace its seeds. A
// variant's runs that resolve to the config of its unless_same_as variant's run are left out
// (the runs renumbered, a note in notes).
SweepPlan make_sweep_plan(const std::filesystem::path& file, const std::vector<std::string>& overrides,
                          const std::vector<std::filesystem::path>& bases = {},
                          const std::vector<std::int64_t>& seeds = {});

struct Shard {
    std::size_t index = 0;
    std::size_t count = 1;
};

// "i/n" with 0 <= i < n; UsageError otherwise.
Shard parse_shard(const std::string& text);

// The runs of one shard: those whose index % count == shard index, in plan order.
std::vector<const SweepRun*> shard_runs(const SweepPlan& plan, const Shard& shard);

}  // namespace sm4

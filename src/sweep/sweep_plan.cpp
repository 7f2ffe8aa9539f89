#include "sweep/sweep_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <string_view>

#include "core/config_hash.h"
#include "core/config_schema.h"
#include "core/errors.h"
#include "core/text.h"
#include "sweep/sweep_file.h"

namespace sm4 {
namespace {

// Every combination of one value index per axis, the last axis varying fastest.
std::vector<std::vector<std::size_t>> grid_points(const std::vector<SweepAxis>& axes) {
    std::vector<std::vector<std::size_t>> points{{}};
    for (const auto& axis : axes) {
        std::vector<std::vector<std::size_t>> longer;
        for (const auto& point : points)
            for (std::size_t v = 0; v < axis.values.size(); ++v) {
                longer.push_back(point);
                longer.back().push_back(v);
            }
        points = std::move(longer);
    }
    return points;
}

void apply(ResolvedConfig& config, const std::string& key, const SweepValue& value) {
    apply_toml_value(config, key, value.toml, value.where);
}

const ConfigField& field_named(const std::string& key, const std::string& where, const char* what) {
    const ConfigField* field = find_config_field(key);
    if (!field) throw ConfigError(fmt::format("{}: [[sweep.variant]] {}: unknown config key '{}'", where, what, key));
    return *field;
}

// The variant's keep: these keys take `base`'s value again.
void keep_base_values(ResolvedConfig& config, const ResolvedConfig& base, const SweepVariant& variant) {
    for (const auto& kept : variant.keep) {
        const ConfigField& field = field_named(kept.key, kept.value.where, "keep");
        const auto source = base.sources.find(kept.key);
        set_config_value(config, kept.key, field.get(base.values),
                         source == base.sources.end() ? kept.value.where : source->second);
    }
}

// The variant's scale: integer and number keys multiplied (integers rounded to the nearest).
void scale_values(ResolvedConfig& config, const SweepVariant& variant) {
    for (const auto& scale : variant.scale) {
        const ConfigField& field = field_named(scale.key, scale.where, "scale");
        const ConfigValue value = field.get(config.values);
        const std::string source = fmt::format("{} (x{})", scale.where, scale.factor);
        if (const auto* integer = std::get_if<std::int64_t>(&value))
            set_config_value(config, scale.key, static_cast<std::int64_t>(std::llround(*integer * scale.factor)), source);
        else if (const auto* number = std::get_if<double>(&value))
            set_config_value(config, scale.key, *number * scale.factor, source);
        else
            throw ConfigError(fmt::format("{}: [[sweep.variant]] scale: '{}' is a {}, not a number", scale.where,
                                          scale.key, type_name(field.type)));
    }
}

// Keeps entry t of a per-task list that has one entry per task.
template <class List>
void keep_entry(List& list, std::size_t tasks, std::size_t t, ResolvedConfig& config, const std::string& key,
                const std::string& source) {
    if (list.size() != tasks) return;
    list = {list[t]};
    config.sources[key] = source;
}

// Keeps the token rules ("task/modality: ...") of task `name` only.
void keep_rules_of(Strings& rules, const std::string& name, ResolvedConfig& config, const std::string& source) {
    Strings kept;
    for (const auto& rule : rules)
        if (rule.rfind(name + "/", 0) == 0) kept.push_back(rule);
    if (kept.size() == rules.size()) return;
    rules = kept;
    config.sources["model.token_rules"] = source;
}

// A per_task variant's run of task t: only that task, only its entry of every per-task list
// (loss weights, batch sizes, selection weights) that is set, only its token rules, and no
// pretraining stage (train.pretrain_tasks: a task alone has nothing to be pretrained before). (A
// model.modality_top_k of one entry per slot is kept whole: the plan does not know how many
// slots each task has, so such a run stops at its start naming the key.)
ResolvedConfig only_task(ResolvedConfig config, std::size_t t, const std::string& source) {
    auto& c = config.values;
    const std::size_t tasks = c.data.tasks.size();
    keep_entry(c.train.task_weights, tasks, t, config, "train.task_weights", source);
    keep_entry(c.train.task_batch_sizes, tasks, t, config, "train.task_batch_sizes", source);
    keep_entry(c.train.select_weights, tasks, t, config, "train.select_weights", source);
    keep_rules_of(c.model.token_rules, c.data.tasks[t], config, source);
    if (!c.train.pretrain_tasks.empty()) {
        c.train.pretrain_tasks.clear();
        c.train.pretrain_epochs = 0;
        config.sources["train.pretrain_tasks"] = config.sources["train.pretrain_epochs"] = source;
    }
    c.data.tasks = {c.data.tasks[t]};
    config.sources["data.tasks"] = source;
    return config;
}

// Seeds the run, checks its config as a whole, names it and hashes it.
void add_run(SweepPlan& plan, SweepRun run, const std::string& seed_source) {
    run.index = plan.runs.size();
    run.config.values.train.seed = run.seed;
    run.config.sources["train.seed"] = seed_source;
    try {
        validate_config(run.config.values);
    } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{}: run {} ({}): {}", plan.file.string(), run.index, run.label(), e.what()));
    }
    if (run.config.values.output.run_name.empty()) {
        run.config.values.output.run_name = plan.name + "/" + run.variant;
        run.config.sources["output.run_name"] = "sweep";
    }
    run.config_hash = config_hash(run.config);
    plan.runs.push_back(std::move(run));
}

// Two runs with one config would be one run: a variant that changes nothing, or a variant or --set
// that overrides what the grid varies.
void check_distinct(const SweepPlan& plan) {
    std::map<std::string, std::size_t> first;
    for (const auto& run : plan.runs) {
        const auto [seen, inserted] = first.emplace(run.config_hash, run.index);
        if (!inserted)
            throw ConfigError(fmt::format("{}: runs {} ({}) and {} ({}) resolve to the same config: make the "
                                          "variants differ, and keep variants and --set off the grid's keys",
                                          plan.file.string(), seen->second, plan.runs[seen->second].label(), run.index,
                                          run.label()));
    }
}

// unless_same_as: leaves out a variant's runs whose config hash is one of the named variant's.
void drop_same_as(SweepPlan& plan, const SweepFile& file) {
    for (const auto& variant : file.variants) {
        if (variant.unless_same_as.empty()) continue;
        if (std::none_of(file.variants.begin(), file.variants.end(),
                         [&](const SweepVariant& v) { return v.name == variant.unless_same_as; }))
            throw ConfigError(fmt::format("{}: variant '{}': unless_same_as names no variant '{}'", plan.file.string(),
                                          variant.name, variant.unless_same_as));
        std::vector<std::string> hashes;
        for (const auto& run : plan.runs)
            if (run.variant == variant.unless_same_as) hashes.push_back(run.config_hash);
        const auto before = plan.runs.size();
        plan.runs.erase(std::remove_if(plan.runs.begin(), plan.runs.end(),
                                       [&](const SweepRun& run) {
                                           return run.variant == variant.name &&
                                                  std::find(hashes.begin(), hashes.end(), run.config_hash) != hashes.end();
                                       }),
                        plan.runs.end());
        if (plan.runs.size() < before)
            plan.notes.push_back(fmt::format("variant '{}': {} run(s) left out, their configs are variant '{}''s",
                                             variant.name, before - plan.runs.size(), variant.unless_same_as));
    }
    for (std::size_t i = 0; i < plan.runs.size(); ++i) plan.runs[i].index = i;
}

bool parse_count(std::string_view text, std::size_t& value) {
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    return !text.empty() && error == std::errc() && stop == end;
}

}  // namespace

std::string SweepRun::label() const {
    std::vector<std::string> parts{variant};
    if (!task.empty()) parts.push_back(task);
    parts.insert(parts.end(), grid.begin(), grid.end());
    parts.push_back(fmt::format("seed {}", seed));
    return join(parts, " ");
}

SweepPlan make_sweep_plan(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                          const std::vector<std::filesystem::path>& bases, const std::vector<std::int64_t>& seeds) {
    SweepFile file = read_sweep_file(path, bases);
    if (!seeds.empty()) file.seeds = seeds;
    SweepPlan plan;
    plan.file = path;
    plan.name = file.name;
    for (const auto& axis : file.axes) plan.axes.push_back(axis.key);
    const std::string seed_source =
        file.seeds.empty() ? "default" : !seeds.empty() ? std::string("--seeds") : path.string() + " [sweep] seeds";
    const auto points = grid_points(file.axes);
    for (const auto& variant : file.variants) {
        for (const auto& point : points) {
            SweepRun run;
            run.variant = variant.name;
            run.config = file.base;
            for (std::size_t a = 0; a < point.size(); ++a) {
                const SweepAxis& axis = file.axes[a];
                apply(run.config, axis.key, axis.values[point[a]]);
                run.grid.push_back(axis.key + "=" + axis.values[point[a]].label);
            }
            const ResolvedConfig base = run.config;
            for (const auto& setting : variant.set) apply(run.config, setting.key, setting.value);
            apply_method(run.config, variant.method.empty() ? variant.name : variant.method);  // [method.<name>]
            keep_base_values(run.config, base, variant);
            scale_values(run.config, variant);
            for (const auto& assignment : overrides) apply_override(run.config, assignment);
            const auto run_seeds = file.seeds.empty() ? std::vector<std::int64_t>{run.config.values.train.seed} : file.seeds;
            const auto tasks = run.config.values.data.tasks;
            for (const std::int64_t seed : run_seeds) {
                run.seed = seed;
                if (!variant.per_task) {
                    add_run(plan, run, seed_source);
                    continue;
                }
                for (std::size_t t = 0; t < tasks.size(); ++t) {
                    SweepRun one = run;
                    one.task = tasks[t];
                    one.config = only_task(run.config, t, fmt::format("{} variant '{}'", path.string(), variant.name));
                    add_run(plan, std::move(one), seed_source);
                }
            }
        }
    }
    drop_same_as(plan, file);
    check_distinct(plan);
    return plan;
}

Shard parse_shard(const std::string& text) {
    const auto slash = text.find('/');
    Shard shard;
    if (slash == std::string::npos || !parse_count(text.substr(0, slash), shard.index) ||
        !parse_count(text.substr(slash + 1), shard.count))
        throw UsageError(fmt::format("shard '{}': expected i/n, e.g. 0/4 for the first of 4 shards", text));
    if (shard.count == 0 || shard.index >= shard.count)
        throw UsageError(fmt::format("shard '{}': the shard index must be below the shard count", text));
    return shard;
}

std::vector<const SweepRun*> shard_runs(const SweepPlan& plan, const Shard& shard) {
    std::vector<const SweepRun*> runs;
    for (const auto& run : plan.runs)
        if (run.index % shard.count == shard.index) runs.push_back(&run);
    return runs;
}

}  // namespace sm4

// SM4's ablations are one config value each, and each changes only the piece it names:
// model.backbone = "smoe" (no disentangling), aea.enabled = false (no AEA), pace.enabled = false
// (no ALP).
#include <catch.hpp>

#include <map>
#include <set>
#include <sstream>

#include "io/results_db.h"
#include "model/multitask_model.h"
#include "train/task_data.h"
#include "train/trainer.h"
#include "training_fixture.h"
#include "../support/h5py.h"

using namespace sm4;
using sm4::test::SmallExperiment;

namespace {

const std::vector<std::string> kSm4 = {"model.backbone=sm4", "aea.enabled=true", "aea.candidates=[2, 3]",
                                       "aea.probe_steps=6", "pace.enabled=true", "train.epochs=2"};

std::vector<std::string> with(std::vector<std::string> base, const std::string& change) {
    base.push_back(change);
    return base;
}

// "section.key" -> value, from a resolved config's TOML.
std::map<std::string, std::string> toml_values(const std::string& toml) {
    std::map<std::string, std::string> values;
    std::istringstream in(toml);
    std::string line, section;
    while (std::getline(in, line)) {
        if (line.rfind('[', 0) == 0) section = line.substr(1, line.find(']') - 1);
        const auto eq = line.find(" = ");
        if (eq != std::string::npos && line[0] != '#') values[section + "." + line.substr(0, eq)] = line.substr(eq + 3);
    }
    return values;
}

std::set<std::string> changed_keys(const std::string& a, const std::string& b) {
    const auto x = toml_values(a), y = toml_values(b);
    std::set<std::string> keys;
    for (const auto& [k, v] : x)
        if (!y.count(k) || y.at(k) != v) keys.insert(k);
    for (const auto& [k, v] : y)
        if (!x.count(k)) keys.insert(k);
    return keys;
}

std::string stored_config(const SmallExperiment& e, std::int64_t run) { return ResultsDb(e.database()).find_run(run)->config_toml; }

// Parameter name -> shape, skipping the feed-forward layers' MoE.
std::map<std::string, std::vector<std::int64_t>> shapes_outside_ffn(MultitaskModel& model) {
    std::map<std::string, std::vector<std::int64_t>> shapes;
    for (const auto& p : model->named_parameters())
        if (p.key().find(".moe.") == std::string::npos && p.key().find(".sm4_moe.") == std::string::npos)
            shapes[p.key()] = p.value().sizes().vec();
    return shapes;
}

}  // namespace

TEST_CASE("ablation: model.backbone = smoe replaces only the grouped routers and experts", "[train][ablation]") {
    SmallExperiment experiment;
    const Config sm4 = experiment.config({"model.backbone=sm4"}).values;
    const Config smoe = experiment.config({"model.backbone=smoe"}).values;
    std::vector<TaskSpec> specs;
    for (const auto& t : load_tasks(sm4)) specs.push_back(t.spec);
    MultitaskModel grouped(sm4.model, specs), shared(smoe.model, specs);
    CHECK(shapes_outside_ffn(grouped) == shapes_outside_ffn(shared));
    CHECK(grouped->experts_per_layer() == shared->experts_per_layer());  // the same 4 experts, split 2 + 2
    CHECK(grouped->blocks->ptr<BlockImpl>(1)->sm4_moe->router->routers.size() == 2);
    CHECK(shared->blocks->ptr<BlockImpl>(1)->moe);
}

TEST_CASE("ablation: aea.enabled = false drops only the probe; pace.enabled = false only the multipliers",
          "[train][ablation]") {
    SmallExperiment experiment;
    const auto full = train_model(experiment.request(kSm4));
    const auto no_aea = train_model(experiment.request(with(kSm4, "aea.enabled=false")));
    const auto no_alp = train_model(experiment.request(with(kSm4, "pace.enabled=false")));
    ResultsDb db(experiment.database());

    // Without AEA: no probe, the groups split model.num_experts evenly; nothing else differs.
    CHECK(db.allocations(full.run_id).size() == 4);
    CHECK(db.allocations(no_aea.run_id).empty());
    CHECK(no_aea.probe_seconds == 0.0);
    CHECK(changed_keys(stored_config(experiment, full.run_id), stored_config(experiment, no_aea.run_id)) ==
          std::set<std::string>{"aea.enabled", "model.group_experts"});

    // Without ALP: the same probe and allocation, multipliers fixed at 1; nothing else differs.
    CHECK(changed_keys(stored_config(experiment, full.run_id), stored_config(experiment, no_alp.run_id)) ==
          std::set<std::string>{"pace.enabled"});
    CHECK(db.allocations(no_alp.run_id).size() == 4);
    CHECK(sm4::test::h5py(no_alp.run_dir / "trace.h5", "bool((f['pace/multiplier'][()] == 1).all())") == "True\n");
    CHECK(sm4::test::h5py(full.run_dir / "trace.h5", "bool((f['pace/multiplier'][()] != 1).any())") == "True\n");
}

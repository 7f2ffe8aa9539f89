// SM4's ablations are one config value each, and each changes only the piece it names:
// model.attention_router = "none" (w/o SMoA), model.ffn_router = "none" (w/o SMoE),
// aea.enabled = false (no AEA), pace.enabled = false (no ALP).
#include <catch.hpp>

#include <algorithm>
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

const std::vector<std::string> kSm4 = {"model.backbone=sm4", "aea.enabled=true", "pace.enabled=true", "aea.min_improvement=0.3",
                                       "train.epochs=4"};

// Whether any modality_epochs row of the run trained with a k other than 1 / a weight other than 1.
bool k_moved(ResultsDb& db, std::int64_t run) {
    const auto rows = db.modality_epochs(run);
    return std::any_of(rows.begin(), rows.end(), [](const ModalityEpochRecord& r) { return r.top_k != 1; });
}
bool weights_moved(ResultsDb& db, std::int64_t run) {
    const auto rows = db.modality_epochs(run);
    return std::any_of(rows.begin(), rows.end(), [](const ModalityEpochRecord& r) { return r.pace_weight != 1.0; });
}

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

// Parameter name -> shape, leaving out those whose name contains one of `skip`.
std::map<std::string, std::vector<std::int64_t>> shapes_without(MultitaskModel& model, const std::vector<std::string>& skip) {
    std::map<std::string, std::vector<std::int64_t>> shapes;
    for (const auto& p : model->named_parameters())
        if (std::none_of(skip.begin(), skip.end(), [&](const std::string& s) { return p.key().find(s) != std::string::npos; }))
            shapes[p.key()] = p.value().sizes().vec();
    return shapes;
}

}  // namespace

TEST_CASE("ablation: w/o SMoA and w/o SMoE replace only their part of the SM4 layer", "[train][ablation]") {
    SmallExperiment experiment;
    std::vector<TaskSpec> specs;
    for (const auto& t : load_tasks(experiment.config().values)) specs.push_back(t.spec);
    auto model = [&](const std::vector<std::string>& set) { return MultitaskModel(experiment.config(set).values.model, specs); };
    MultitaskModel sm4 = model({"model.backbone=sm4"});
    MultitaskModel no_smoa = model({"model.backbone=sm4", "model.attention_router=none"});
    MultitaskModel no_smoe = model({"model.backbone=sm4", "model.ffn_router=none"});
    CHECK(shapes_without(sm4, {".smoa."}) == shapes_without(no_smoa, {"layers.0.attention."}));
    CHECK(shapes_without(sm4, {".smoe."}) == shapes_without(no_smoe, {"layers.0.ff1.", "layers.0.ff2."}));
    const auto layer = [](MultitaskModel& m) { return m->layers->ptr<TransformerLayerImpl>(0); };
    CHECK((layer(sm4)->smoa && layer(sm4)->smoe));
    CHECK((!layer(no_smoa)->smoa && layer(no_smoa)->attention && layer(no_smoa)->smoe));
    CHECK((layer(no_smoe)->smoa && !layer(no_smoe)->smoe && layer(no_smoe)->ff1));
    CHECK(sm4->routing_layer_names() ==
          std::vector<std::string>{"layer0.attention.query", "layer0.attention.key", "layer0.attention.value", "layer0.ffn"});
}

TEST_CASE("ablation: aea.enabled = false and pace.enabled = false change only their key and switch their mechanism off",
          "[train][ablation]") {
    SmallExperiment experiment;
    const auto full = train_model(experiment.request(kSm4));
    const auto no_aea = train_model(experiment.request(with(kSm4, "aea.enabled=false")));
    const auto no_alp = train_model(experiment.request(with(kSm4, "pace.enabled=false")));
    ResultsDb db(experiment.database());

    CHECK(changed_keys(stored_config(experiment, full.run_id), stored_config(experiment, no_aea.run_id)) ==
          std::set<std::string>{"aea.enabled"});
    CHECK(changed_keys(stored_config(experiment, full.run_id), stored_config(experiment, no_alp.run_id)) ==
          std::set<std::string>{"pace.enabled"});
    CHECK(sm4::test::h5py(no_alp.run_dir / "trace.h5", "bool((f['pace/weight'][()] == 1).all())") == "True\n");
    CHECK(sm4::test::h5py(full.run_dir / "trace.h5", "bool((f['pace/weight'][()] != 1).any())") == "True\n");
    // Each mechanism acts in the full run and not in the run without it (the other one still acts).
    CHECK(k_moved(db, full.run_id));
    CHECK(weights_moved(db, full.run_id));
    CHECK_FALSE(k_moved(db, no_aea.run_id));
    CHECK(weights_moved(db, no_aea.run_id));
    CHECK(k_moved(db, no_alp.run_id));
    CHECK_FALSE(weights_moved(db, no_alp.run_id));
}

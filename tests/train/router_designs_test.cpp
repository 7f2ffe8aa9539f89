// Table 5's 16 router designs, as experiments/router-designs.toml names them, build and train:
// each takes training steps (AEA and ALP acting at an epoch end) and ends with finite test losses,
// and the routers it builds are the ones its design names.
#include <catch.hpp>

#include <cmath>

#include "io/results_db.h"
#include "model/layers/transformer_layer.h"
#include "model/multitask_model.h"
#include "sweep/sweep_file.h"
#include "train/task_data.h"
#include "training_fixture.h"

using namespace sm4;
using sm4::test::SmallExperiment;

TEST_CASE("router designs: the 16 designs of experiments/router-designs.toml build and take training steps",
          "[train][paper]") {
    const SweepFile file = read_sweep_file(std::string(SM4_SOURCE_DIR) + "/experiments/router-designs.toml");
    REQUIRE(file.variants.size() == 17u);  // the 16 designs and highmmt
    SmallExperiment experiment;
    std::vector<TaskSpec> specs;
    for (const auto& t : load_tasks(experiment.config().values)) specs.push_back(t.spec);
    for (const auto& variant : file.variants) {
        if (variant.name == "highmmt") continue;  // Δ's reference, not a design
        INFO(variant.name);
        std::vector<std::string> set = {"train.epochs=2", "train.steps_per_epoch=2", "train.log_every=1"};
        for (const auto& s : variant.set) set.push_back(s.key + "=" + s.value.label);
        TrainRequest request = experiment.request(set);
        const ModelConfig& m = request.config.values.model;
        MultitaskModel model(m, specs);
        const auto layer = model->layers->ptr<TransformerLayerImpl>(0);
        CHECK(static_cast<bool>(layer->smoa) == (m.backbone == Backbone::Sm4 && m.attention_router != RouterScope::None));
        CHECK(static_cast<bool>(layer->smoe) == (m.backbone == Backbone::Sm4 && m.ffn_router != RouterScope::None));
        const TrainResult result = train_model(request);
        std::int64_t last_step = 0;
        for (const auto& m : ResultsDb(experiment.database()).metrics(result.run_id, "train", "train"))
            last_step = std::max(last_step, m.step);
        CHECK(last_step == 4);
        REQUIRE(result.test.size() == 2u);
        for (const auto& t : result.test) CHECK(std::isfinite(t.loss));
    }
}

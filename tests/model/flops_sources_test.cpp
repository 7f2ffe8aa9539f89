// `sm4 report --flops-sources`: the four models per task (HighMMT, HighMMT with SM4's token cuts,
// SM4 with every expert active, SM4 at its k) add up: each row is the analytic count of the model
// it names, and the sparsity step is exactly the inactive experts' products counted by hand.
#include <catch.hpp>

#include <fstream>

#include "app/flops_sources.h"
#include "core/config_loader.h"
#include "model/flops/flop_count.h"
#include "app/multibench_shapes.h"
#include "../support/temp_dir.h"

using namespace sm4;
using Catch::Matchers::Contains;

namespace {

// AV-MNIST at the shapes its converter writes (no file), a toy SM4 network: width 8, 2 latents,
// 4 experts per group, k = 1, feed-forward experts of 16; HighMMT one token per pixel.
const char* kExperiment = R"(
[data]
root = "no-such-folder"
tasks = ["avmnist"]
[model]
backbone = "sm4"
d_model = 8
heads = 2
ffn_hidden = 16
num_experts = 4
modality_top_k = [1]
latents = 2
latent_dim = 8
cross_heads = 1
cross_head_dim = 4
latent_heads = 2
latent_head_dim = 4
ff_mult = 2
fourier_bands = 1
token_rules = ["avmnist/image: patches=4", "avmnist/audio: patches=16"]
[method.highmmt]
model.backbone = "highmmt"
model.token_rules = []
)";

double task_flops(const ModelConfig& config) {
    const auto rows = analytic_flops(config, {*multibench_spec("avmnist")}, 1, "x");
    return flops_totals(rows, "x", "avmnist").flops;
}

}  // namespace

TEST_CASE("flops sources: the four rows are the four models' counts, and the sparsity step is the idle experts",
          "[model][flops][paper]") {
    test::TempDir dir;
    const auto path = dir / "toy.toml";
    std::ofstream(path) << kExperiment;
    const auto rows = flops_sources(path);
    REQUIRE(rows.size() == 4u);
    CHECK(rows[0].model == "highmmt");
    CHECK(rows[1].model == "highmmt-sm4-tokens");
    CHECK(rows[2].model == "sm4-dense");
    CHECK(rows[3].model == "sm4");
    const ResolvedConfig sm4 = load_config({path}, {});
    const ResolvedConfig highmmt = load_config({path}, {}, "highmmt");
    ModelConfig cut = highmmt.values.model;
    cut.token_rules = sm4.values.model.token_rules;
    ModelConfig all_experts = sm4.values.model;
    all_experts.modality_top_k = {4};
    CHECK(rows[0].flops == task_flops(highmmt.values.model));
    CHECK(rows[1].flops == task_flops(cut));
    CHECK(rows[2].flops == task_flops(all_experts));
    CHECK(rows[3].flops == task_flops(sm4.values.model));
    // One token per pixel (784 + 12,544) costs more than 4x4 and 16x16 patches (49 + 49).
    CHECK(rows[1].flops < rows[0].flops);
    // By hand: per modality, 2 latents each skip 3 of 4 feed-forward experts (4 d h = 512 FLOPs
    // each) and 3 of 4 experts in each of query, key and value (2 d^2 = 128 each):
    // 2 modalities x 2 latents x 3 x (512 + 3 x 128) = 10,752.
    CHECK(rows[2].flops - rows[3].flops == 10752.0);
    const Table table = flops_sources_table({{"toy", rows}}, nullptr, nullptr);
    const std::string text = print_table(table, TableFormat::Csv);
    CHECK_THAT(text, Contains("experiment,task,model,params,FLOPs / sample,of HighMMT's,change from above,"));
    CHECK_THAT(text, Contains("\ntoy,avmnist,highmmt,") && Contains(",100.00,,,\n"));
}

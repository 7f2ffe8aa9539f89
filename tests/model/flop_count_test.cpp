// Analytic parameter and FLOP accounting against values worked out by hand for small configs,
// and against the parameters the model really has.
#include <catch.hpp>

#include "model/flop_count.h"
#include "model/multitask_model.h"
#include "flop_fixture.h"

using namespace sm4;

namespace {

std::vector<TaskSpec> one_task() { return {test::image_and_sequence_task()}; }

ModelConfig small(const std::string& backbone) { return test::tiny_model(backbone, 1); }

const FlopsRecord& row(const std::vector<FlopsRecord>& rows, const std::string& modality, const std::string& component,
                       const std::string& task = "a") {
    return test::find_flops_row(rows, task, modality, component);
}

std::int64_t real_params(const ModelConfig& c, const std::vector<TaskSpec>& tasks) {
    MultitaskModel model(c, tasks);
    std::int64_t n = 0;
    for (const auto& p : model->parameters()) n += p.numel();
    return n;
}

}  // namespace

TEST_CASE("flops: a small dense model, by hand", "[flops]") {
    const auto rows = analytic_flops(small("dense"), one_task(), 1, "dense");
    // img tokenizer: conv 1*4*4*8 + 8 = 136, positions 4*8 = 32, modality embedding 8;
    // 4 patches * (16 inputs * 8 outputs) multiply-adds * 2.
    CHECK(row(rows, "img", "tokenizer").params == 176);
    CHECK(row(rows, "img", "tokenizer").flops == 2.0 * 4 * 16 * 8);  // 1024
    // seq tokenizer: linear 5*8 + 8, positions 4*8, embedding 8; 4 steps * 5 * 8 * 2.
    CHECK(row(rows, "seq", "tokenizer").params == 88);
    CHECK(row(rows, "seq", "tokenizer").flops == 320);
    // Attention over N = 8 tokens: qkv 8*24+24, out 8*8+8, norm 16 = 304 params;
    // projections 2*8*8*32 = 4096, scores and mixing 2 * 2*8*8*8 = 2048.
    CHECK(row(rows, "", "attention").params == 304);
    CHECK(row(rows, "", "attention").flops == 6144);
    // Feed-forward 8 -> 16 -> 8: 128+16+128+8 + norm 16 = 296; 2 * 8 tokens * (128 + 128).
    CHECK(row(rows, "", "feed_forward").params == 296);
    CHECK(row(rows, "", "feed_forward").flops == 4096);
    // Head on the pooled token: 8*3+3 + final norm 16; 2*8*3.
    CHECK(row(rows, "", "head").params == 43);
    CHECK(row(rows, "", "head").flops == 48);
    CHECK(row(rows, "", "total", "").params == 907);
    CHECK(row(rows, "", "total", "").flops == 11632);
    CHECK(row(rows, "", "total", "").active_params == 907);
    CHECK(real_params(small("dense"), one_task()) == 907);
}

TEST_CASE("flops: a small vanilla SMoE, by hand, and its dense counterpart", "[flops]") {
    const ModelConfig c = small("smoe");  // 4 experts, top-2, noisy gating, no capacity limit
    const auto rows = analytic_flops(c, one_task(), 1, "configured");
    // Experts: 4 * (8*16+16+16*8+8) = 4 * 280; a token uses 2 of them: 2 * 280 active;
    // 8 tokens * 2 experts * (2*8*16 + 2*16*8).
    CHECK(row(rows, "", "experts").params == 1120);
    CHECK(row(rows, "", "experts").active_params == 560);
    CHECK(row(rows, "", "experts").flops == 8192);
    // Router: gate and noise 8*4 each; only the gate runs at inference; 2*8 tokens*8*4.
    CHECK(row(rows, "", "router").params == 64);
    CHECK(row(rows, "", "router").active_params == 32);
    CHECK(row(rows, "", "router").flops == 512);
    CHECK(row(rows, "", "feed_forward").params == 16);  // the norm in front of the MoE
    CHECK(row(rows, "", "feed_forward").flops == 0);
    CHECK(row(rows, "", "total", "").params == 1811);
    CHECK(row(rows, "", "total", "").flops == 1024 + 320 + 6144 + 8192 + 512 + 48);
    CHECK(real_params(c, one_task()) == 1811);

    // The dense counterpart is the dense model above; top-2 of experts as wide as its
    // feed-forward costs more: 16240 / 11632 - 1 = 39.6% more.
    const auto dense = analytic_flops(dense_counterpart(c), one_task(), 1, "dense");
    CHECK(row(dense, "", "total", "").flops == 11632);

    // A capacity factor below 1 keeps at most that share of the assignments.
    ModelConfig limited = c;
    limited.capacity_factor = 0.5;
    CHECK(row(analytic_flops(limited, one_task(), 1, "configured"), "", "experts").flops == 4096);
}

TEST_CASE("flops: sm4 groups, by hand: each modality pays for its own group's experts", "[flops]") {
    ModelConfig c = small("sm4");
    c.noisy_gating = false;
    c.group_experts = {1, 3};  // a/img owns 1 expert (so uses 1), a/seq owns 3 (uses top-2)
    const auto rows = analytic_flops(c, one_task(), 1, "configured");
    CHECK(row(rows, "img", "experts").params == 280);
    CHECK(row(rows, "img", "experts").active_params == 280);
    CHECK(row(rows, "img", "experts").flops == 4 * 1 * 512);   // 4 tokens, 1 expert, 512 FLOPs each
    CHECK(row(rows, "seq", "experts").params == 840);
    CHECK(row(rows, "seq", "experts").active_params == 560);
    CHECK(row(rows, "seq", "experts").flops == 4 * 2 * 512);
    CHECK(row(rows, "img", "router").params == 8);             // 8 x 1 gate
    CHECK(row(rows, "img", "router").flops == 2 * 4 * 8 * 1);
    CHECK(row(rows, "seq", "router").params == 24);
    CHECK(row(rows, "seq", "router").flops == 2 * 4 * 8 * 3);
    CHECK(row(rows, "", "total", "").flops == 1024 + 320 + 6144 + 2048 + 4096 + 64 + 192 + 48);  // 13936
    CHECK(row(rows, "", "total", "").params == 1779);
    CHECK(real_params(c, one_task()) == 1779);

    // Swapping the counts moves the cost to the other modality.
    c.group_experts = {3, 1};
    const auto swapped = analytic_flops(c, one_task(), 1, "configured");
    CHECK(row(swapped, "img", "experts").flops == 4096);
    CHECK(row(swapped, "seq", "experts").flops == 2048);
    CHECK(row(swapped, "img", "router").flops == 192);
}

TEST_CASE("flops: model parameters match the model for mixtures of heads, Fourier positions and tables", "[flops]") {
    std::vector<TaskSpec> tasks = one_task();
    tasks.push_back({"b", TaskType::Binary, 2, {{"features", "table", {6}}, {"img", "image", {3, 12, 10}}}});
    for (const std::string backbone : {"dense", "smoe", "sm4"}) {
        ModelConfig c = small(backbone);
        c.layers = 3;
        c.moe_every = 2;
        c.position = Position::Fourier;
        c.attention_experts = backbone == "dense" ? 0 : 8;
        c.shared_experts = backbone == "sm4" ? 1 : 0;
        c.num_experts = 8;
        const auto rows = analytic_flops(c, tasks, 4, "configured");
        INFO(backbone);
        CHECK(row(rows, "", "total", "").params == real_params(c, tasks));
        // value * w_f + b_f is element-wise; only the Fourier projection (17 features -> 8 for 6
        // tokens) counts, once per batch of 4.
        CHECK(row(rows, "features", "tokenizer", "b").flops == 2.0 * 6 * 17 * 8 / 4);
    }
}

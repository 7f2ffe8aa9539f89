// Analytic parameter and FLOP accounting against values worked out by hand for small configs,
// and against the parameters the model really has.
#include <catch.hpp>

#include "model/flops/flop_count.h"
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

// The tiny encoder by hand (flop_fixture.h): latents 2 x 8 = 16; cross-attention: norms 2*8 and
// 2*24, q 8*4, kv 24*8, out 4*8+8 = 328; self-attention: norm 16, q 8*8, kv 8*16, out 8*8+8 = 280;
// two GEGLUs with norms: 16 + (8*32+32) + (16*8+8) = 440 each.
constexpr std::int64_t kEncoderParams = 16 + 328 + 280 + 2 * 440;  // 1504
// Per modality of 4 tokens: cross q 2*2*8*4, kv 2*4*24*8, out 2*2*4*8, scores and mixing
// 4*2*4*4 = 1920; self projections 2*2*8*8*4 = 1024 and scores 4*2*2*8 = 128; GEGLUs
// 2*2*2*(8*32 + 16*8) = 3072.
constexpr double kEncoderFlops = 1920 + 1152 + 3072;  // 6144

}  // namespace

TEST_CASE("flops: a small dense network, by hand", "[flops]") {
    const auto rows = analytic_flops(small("dense"), one_task(), 1, "dense");
    CHECK(row(rows, "img", "encoder").params == kEncoderParams);  // the shared encoder, on the first modality's row
    CHECK(row(rows, "seq", "encoder").params == 0);
    CHECK(row(rows, "img", "encoder").flops == kEncoderFlops);
    CHECK(row(rows, "seq", "encoder").flops == kEncoderFlops);
    // One layer over S = 2 modalities x 2 latents = 4 tokens of width 8: attention qkv 8*24+24,
    // out 8*8+8, norm 16 = 304; projections 8*4*64 = 2048, scores and mixing 4*16*8 = 512.
    CHECK(row(rows, "", "attention").params == 304);
    CHECK(row(rows, "", "attention").flops == 2560);
    // Feed-forward 8 -> 16 -> 8: 128+16+128+8 + norm 16 = 296; 4 * 4 tokens * 8 * 16.
    CHECK(row(rows, "", "feed_forward").params == 296);
    CHECK(row(rows, "", "feed_forward").flops == 2048);
    // Head: BatchNorm over 8 x 2 modalities (32), Linear 16 -> 3 (51); 2*16*3.
    CHECK(row(rows, "", "head").params == 83);
    CHECK(row(rows, "", "head").flops == 96);
    CHECK(row(rows, "", "total", "").params == 1504 + 304 + 296 + 83);
    CHECK(row(rows, "", "total", "").flops == 2 * kEncoderFlops + 2560 + 2048 + 96);
    CHECK(real_params(small("dense"), one_task()) == 1504 + 304 + 296 + 83);
}

TEST_CASE("flops: the paper's SM4 layer, by hand: SMoA and SMoE with one router per group and a k per modality", "[flops]") {
    ModelConfig c = small("sm4");  // single routers, noisy gating, 4 experts, k 1
    c.modality_top_k = {1, 2};     // a/img activates 1 expert per group, a/seq 2
    const auto rows = analytic_flops(c, one_task(), 1, "configured");
    // SMoA: query, key and value groups of 4 experts 8 -> 8 (72 each), the output projection 72
    // and the norm 16, on the first modality's row; per token of modality m, k_m experts in each
    // of the 3 groups (2*64 each) and the output projection (2*64), 2 latents per modality.
    CHECK(row(rows, "img", "smoa").params == 3 * 4 * 72 + 72 + 16);
    CHECK(row(rows, "seq", "smoa").params == 0);
    CHECK(row(rows, "img", "smoa").flops == 2 * (3 * 1 * 128 + 128));
    CHECK(row(rows, "seq", "smoa").flops == 2 * (3 * 2 * 128 + 128));
    CHECK(row(rows, "img", "smoa").active_params == 72 + 16 + 3 * 1 * 72);
    CHECK(row(rows, "seq", "smoa").active_params == 3 * 2 * 72);
    CHECK(row(rows, "", "attention").flops == 512);  // scores and mixing over the 4 tokens
    CHECK(row(rows, "", "attention").params == 0);
    // SMoE: 4 experts 8 -> 16 -> 8 (280 each) and the norm; k_m experts per token.
    CHECK(row(rows, "img", "smoe").params == 4 * 280 + 16);
    CHECK(row(rows, "img", "smoe").flops == 2 * 1 * 4 * 8 * 16);
    CHECK(row(rows, "seq", "smoe").flops == 2 * 2 * 4 * 8 * 16);
    // Routers: 4 (query, key, value, feed-forward), each a gate and a noise projection 8 x 4;
    // only the gates run at inference: 2 * 8 * 4 per token and router.
    CHECK(row(rows, "img", "router").params == 4 * 64);
    CHECK(row(rows, "img", "router").flops == 4 * 2 * 2 * 8 * 4);
    CHECK(row(rows, "seq", "router").flops == 4 * 2 * 2 * 8 * 4);
    const std::int64_t params = 1504 + (3 * 4 * 72 + 72 + 16) + 4 * 64 + (4 * 280 + 16) + 83;
    CHECK(row(rows, "", "total", "").params == params);
    CHECK(real_params(c, one_task()) == params);

    // Raising a modality's k raises only its rows.
    c.modality_top_k = {3, 2};
    const auto more = analytic_flops(c, one_task(), 1, "configured");
    CHECK(row(more, "img", "smoe").flops == 3 * row(rows, "img", "smoe").flops);
    CHECK(row(more, "seq", "smoe").flops == row(rows, "seq", "smoe").flops);

    // A capacity factor below 1 keeps at most that share of the routed assignments.
    ModelConfig limited = small("sm4");
    limited.capacity_factor = 0.5;
    CHECK(row(analytic_flops(limited, one_task(), 1, "configured"), "img", "smoe").flops == 2 * 4 * 8 * 16 / 2);
}

TEST_CASE("flops: model parameters equal the model's for every backbone, router scope and head", "[flops]") {
    std::vector<TaskSpec> tasks = one_task();
    tasks.push_back({"b", TaskType::Binary, 2, {{"features", "table", {6}}, {"img", "image", {3, 12, 10}}}});
    auto with = [](ModelConfig c, auto change) {
        change(c);
        return c;
    };
    std::vector<std::pair<std::string, ModelConfig>> cases = {
        {"dense", small("dense")},
        {"smoe", small("smoe")},
        {"sm4", small("sm4")},
        {"sm4 modality routers", with(small("sm4"), [](ModelConfig& c) { c.ffn_router = c.attention_router = RouterScope::Modality; })},
        {"sm4 task routers", with(small("sm4"), [](ModelConfig& c) { c.ffn_router = c.attention_router = RouterScope::Task; })},
        {"sm4 w/o SMoA", with(small("sm4"), [](ModelConfig& c) { c.attention_router = RouterScope::None; })},
        {"sm4 w/o SMoE", with(small("sm4"), [](ModelConfig& c) { c.ffn_router = RouterScope::None; })},
        {"sm4 one router for q, k, v", with(small("sm4"), [](ModelConfig& c) { c.qkv_router = QkvRouting::Shared; })},
        {"sm4 3 layers, the 2nd sparse", with(small("sm4"), [](ModelConfig& c) { c.layers = 3; c.sparse_layers = {2}; })},
        {"sm4 width 12 after an 8-wide encoder", with(small("sm4"), [](ModelConfig& c) { c.d_model = 12; c.heads = 3; })},
        {"sm4 without GEGLUs, layernorm heads, 2 binary logits",
         with(small("sm4"), [](ModelConfig& c) {
             c.encoder_ff = EncoderFeedForward::None;
             c.head_norm = HeadNorm::LayerNorm;
             c.binary_logits = 2;
             c.noisy_gating = false;
         })},
        {"highmmt", with(small("highmmt"), [](ModelConfig& c) { c.cross_depth = 1; })},
    };
    for (const auto& [name, c] : cases) {
        INFO(name);
        CHECK(row(analytic_flops(c, tasks, 4, "configured"), "", "total", "").params == real_params(c, tasks));
    }
}

TEST_CASE("flops: the dense counterpart and a FLOP-matched dense model", "[flops]") {
    const ModelConfig c = small("sm4");
    const auto tasks = one_task();
    const double sm4 = row(analytic_flops(c, tasks, 1, "configured"), "", "total", "").flops;
    const ModelConfig dense = dense_counterpart(c);
    CHECK(dense.backbone == Backbone::Dense);
    CHECK(row(analytic_flops(dense, tasks, 1, "dense"), "", "total", "").flops == 2 * kEncoderFlops + 2560 + 2048 + 96);

    ModelConfig matched = c;
    matched.backbone = Backbone::Dense;
    matched.match_flops = MatchFlops::Sm4;
    const ModelConfig solved = flops_matched_dense(matched, tasks);
    CHECK(solved.match_flops == MatchFlops::None);
    const double flops = row(analytic_flops(solved, tasks, 1, "dense"), "", "total", "").flops;
    CHECK(std::abs(flops - sm4) / sm4 < 0.05);  // within 5% of SM4's FLOPs (one hidden unit is 256 FLOPs here)
}

// HighMMT's network: its tokens (Fourier features, widths and counts as HighMMT's code makes them
// for the three task groups), its parameter count against HighMMT's own, the pair stage's
// M(M-1) cross-attentions, analytic against measured FLOPs, and the config errors.
#include <catch.hpp>

#include <ATen/ATen.h>

#include <cmath>

#include "app/multibench_shapes.h"
#include "core/config_loader.h"
#include "core/errors.h"
#include "model/flops/flop_count.h"
#include "model/flops/flop_measure.h"
#include "model/tokens/token_layout.h"
#include "model/multitask_model.h"
#include "flop_fixture.h"
#include "../support/config_error.h"

using namespace sm4;
using sm4::test::config_error;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

ModelConfig group_model(const std::string& group) {
    const auto path = std::filesystem::path(SM4_SOURCE_DIR) / "experiments" / (group + ".toml");
    return load_config({path}, {"model.backbone=highmmt"}, "highmmt").values.model;  // with its [method.highmmt]
}

std::vector<TaskSpec> group_tasks(const std::string& group) {
    const auto path = std::filesystem::path(SM4_SOURCE_DIR) / "experiments" / (group + ".toml");
    std::vector<TaskSpec> specs;
    for (const auto& name : load_config({path}, {}).values.data.tasks) specs.push_back(*multibench_spec(name));
    return specs;
}

// (tokens, channels) of every modality of every task, in task order.
std::vector<std::pair<std::int64_t, std::int64_t>> token_shapes(const TokenLayouts& layout) {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (const auto& task : layout.tasks)
        for (const auto& l : task) out.emplace_back(l.tokens(), l.channels);
    return out;
}

ModelConfig tiny_highmmt() {
    ModelConfig c;
    c.backbone = Backbone::HighMmt;
    c.latents = 3;
    c.latent_dim = 8;
    c.cross_heads = 1;
    c.cross_head_dim = 4;
    c.latent_heads = 2;
    c.latent_head_dim = 4;
    c.pair_heads = 2;
    c.pair_head_dim = 5;
    c.ff_mult = 2;
    c.cross_depth = 2;
    c.fourier_bands = 2;
    return c;
}


}  // namespace

TEST_CASE("highmmt: Fourier frequencies and position features are HighMMT's, by hand", "[model][highmmt]") {
    // 2 ** linspace(1, log2(max_freq / 2), K): decreasing below max_freq 4, constant at 4.
    const auto f1 = fourier_frequencies(3, 1.0);
    REQUIRE(f1.size() == 3);
    CHECK_THAT(f1[0], WithinAbs(2.0, 1e-12));
    CHECK_THAT(f1[1], WithinAbs(1.0, 1e-12));
    CHECK_THAT(f1[2], WithinAbs(0.5, 1e-12));
    CHECK(fourier_frequencies(6, 4.0) == std::vector<double>(6, 2.0));
    // One axis of 3 positions (-1, 0, 1), 2 bands up to max_freq 8 (f = 2, 4), 1 raw channel,
    // 2 codes, this modality code 1; model width 9 = input_dim 6 + 2 codes + 1 padding.
    TokenLayout l;
    l.axes = {3};
    l.channels = 1;
    l.bands = 2;
    l.max_freq = 8.0;
    l.code_index = 1;
    TokenLayouts model;
    model.codes = 2;
    model.width = 9;
    const auto tail = token_tail(l, model);  // [3 tokens, 8]: pad, sin f1 f2, cos f1 f2, p, code
    REQUIRE(tail.size() == 24u);
    const float p = 1.0f;  // the last token
    const std::vector<float> expected = {0.0f,
                                         static_cast<float>(std::sin(M_PI * 2 * p)), static_cast<float>(std::sin(M_PI * 4 * p)),
                                         static_cast<float>(std::cos(M_PI * 2 * p)), static_cast<float>(std::cos(M_PI * 4 * p)),
                                         p, 0.0f, 1.0f};
    for (std::size_t i = 0; i < 8; ++i) CHECK_THAT(tail[16 + i], WithinAbs(expected[i], 1e-6));
    CHECK(tail[8 + 5] == 0.0f);   // the middle token's position
    CHECK(tail[0 + 5] == -1.0f);  // the first token's
}

TEST_CASE("highmmt: tokens per modality and token width are HighMMT's for the three task groups", "[model][highmmt]") {
    const TokenLayouts small = token_layouts(group_model("small"), group_tasks("small"));
    CHECK(small.width == 58);  // force: 32 + 13 position features, then 13 codes
    CHECK(token_shapes(small) == std::vector<std::pair<std::int64_t, std::int64_t>>{
                                     {16, 3}, {16, 7}, {16384, 1}, {16, 7},               // push
                                     {16384, 3}, {6, 32}, {1, 8}, {16384, 1}, {1, 4}});   // vt
    const TokenLayouts large = token_layouts(group_model("large"), group_tasks("large"));
    CHECK(large.width == 387);  // UR-FUNNY vision: 371 + 7, then 9 codes (text shared)
    CHECK(large.codes == 9);
    CHECK(token_shapes(large) == std::vector<std::pair<std::int64_t, std::int64_t>>{
                                     {5, 1}, {288, 1}, {49, 16}, {49, 256},
                                     {50, 35}, {50, 74}, {50, 300}, {50, 371}, {50, 81}, {50, 300}});
    const TokenLayouts medium = token_layouts(group_model("medium"), group_tasks("medium"));
    CHECK(medium.codes == 8);
    const auto m = token_shapes(medium);
    CHECK(m[0] == std::pair<std::int64_t, std::int64_t>{32768, 3});  // ENRICO screenshot
    CHECK(m[3] == std::pair<std::int64_t, std::int64_t>{12544, 1});  // AV-MNIST audio, flattened
}

TEST_CASE("highmmt: the small group's network has HighMMT's 871,829 parameters", "[model][highmmt]") {
    const ModelConfig c = group_model("small");
    const auto specs = group_tasks("small");
    const auto rows = analytic_flops(c, specs, 1, "configured");
    CHECK(rows.back().params == 871829);  // HighMMT's own code, counted with python3-torch (docs/highmmt.md)
    // The analytic count is the built model's.
    MultitaskModel model(c, specs);
    std::int64_t built = 0;
    for (const auto& p : model->parameters()) built += p.numel();
    CHECK(built == 871829);
    // And the hand formula of a tiny config: latents 3x8, width W = 1 + 1*(2*2+1) + 1 code = 7.
    const std::vector<TaskSpec> one{{"t", TaskType::Classification, 3, {{"x", "table", {4}}}}};
    const ModelConfig tiny = tiny_highmmt();
    const std::int64_t L = 3, d = 8, W = 7, hidden = 16;
    const std::int64_t geglu = 2 * d + d * 2 * hidden + 2 * hidden + hidden * d + d;   // with its norm
    const std::int64_t self = 2 * d + d * 8 + d * 16 + 8 * d + d;
    const std::int64_t unimodal = 2 * d + 2 * W + d * 4 + W * 8 + 4 * d + d + 2 * geglu + self;
    const std::int64_t pair = 4 * d + d * 10 + d * 20 + 10 * d + d + 2 * geglu + self;
    const std::int64_t head = 2 * L * d + L * d * 3 + 3;  // one modality: its latents flattened
    MultitaskModel tiny_model(tiny, one);
    std::int64_t tiny_built = 0;
    for (const auto& p : tiny_model->parameters()) tiny_built += p.numel();
    CHECK(tiny_built == L * d + unimodal + 2 * pair + head);
    CHECK(analytic_flops(tiny, one, 1, "c").back().params == tiny_built);
}

TEST_CASE("highmmt: the pair stage runs M(M-1) cross-attentions; analytic FLOPs equal measured", "[model][highmmt]") {
    at::manual_seed(0);
    const std::vector<TaskSpec> tasks{
        {"three", TaskType::Classification, 4, {{"img", "image", {2, 4, 6}}, {"seq", "sequence", {5, 3}}, {"tab", "table", {7}}}},
        {"two", TaskType::Binary, 2, {{"img", "image", {1, 8, 8}}, {"tab", "table", {3}}}},
        {"one", TaskType::Regression, 2, {{"tab", "table", {9}}}}};
    const ModelConfig c = tiny_highmmt();
    MultitaskModel model(c, tasks);
    auto rows = analytic_flops(c, tasks, 4, "configured");
    const double pair_layer = 2.0 * 3 * 8 * 10 * 4 + 2.0 * 3 * 8 * 8 * 4 + 2.0 * 2.0 * 3 * (8 * 32 + 16 * 8);
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        INFO(tasks[t].name);
        attach_measured(rows, "configured", tasks[t].name, measure_task_flops(model, t, test::random_batch(tasks[t], 4)));
        const auto m = static_cast<double>(tasks[t].modalities.size());
        const auto& cross = test::find_flops_row(rows, tasks[t].name, "", kCrossModal);
        CHECK_THAT(cross.flops, WithinRel(m * (m - 1) * 2 * pair_layer, 1e-9));  // 2 = cross_depth
        CHECK_THAT(*cross.measured_flops, WithinRel(cross.flops, 1e-9));
        for (const auto& r : rows)
            if (r.task == tasks[t].name) CHECK_THAT(*r.measured_flops, WithinRel(r.flops, 0.01));
    }
}

TEST_CASE("highmmt: outputs have the head's width and gradients reach the latents", "[model][highmmt]") {
    at::manual_seed(1);
    const std::vector<TaskSpec> tasks{{"a", TaskType::Classification, 5, {{"img", "image", {1, 8, 8}}, {"seq", "sequence", {4, 3}}}}};
    ModelConfig c = tiny_highmmt();
    c.token_rules = {"a/img: patches=4"};
    MultitaskModel model(c, tasks);
    CHECK(model->highmmt->encoder->layout().tasks[0][0].tokens() == 4);
    CHECK(model->highmmt->encoder->layout().tasks[0][0].channels == 16);
    const auto out = model->forward(0, test::random_batch(tasks[0], 3)).outputs;
    CHECK(out.sizes() == at::IntArrayRef{3, 5});
    out.sum().backward();
    CHECK(model->highmmt->encoder->latents.grad().abs().sum().item<double>() > 0);
}

TEST_CASE("highmmt: bad structure is a config error naming the key", "[model][highmmt]") {
    CHECK_THAT(config_error({"model.latents=0"}), Contains("model.latents"));
    CHECK_THAT(config_error({"model.cross_depth=-1"}), Contains("model.cross_depth"));
    const std::vector<TaskSpec> big{{"big", TaskType::Classification, 2, {{"img", "image", {1, 300, 300}}}}};
    ModelConfig c = tiny_highmmt();
    CHECK_THROWS_WITH(token_layouts(c, big), Contains("model.max_tokens: big/img gives 90000 tokens"));
    c.single_modality = SingleModality::Refuse;
    const std::vector<TaskSpec> one{{"t", TaskType::Classification, 3, {{"x", "table", {4}}}}};
    CHECK_THROWS_WITH(token_layouts(c, one), Contains("model.single_modality: task t has one modality"));
    c = tiny_highmmt();
    c.token_rules = {"t/x: blocks"};
    CHECK_THROWS_WITH(token_layouts(c, one), Contains("model.token_rules: \"t/x: blocks\": unknown rule \"blocks\""));
    c.token_rules = {"t/y: one"};
    CHECK_THROWS_WITH(token_layouts(c, one), Contains("model.token_rules: no modality t/y"));
    c.token_rules = {"t/x: pixels"};
    CHECK_THROWS_WITH(token_layouts(c, one), Contains("rule pixels for t/x needs [C, H, W], but its examples are [4]"));
    c.token_rules = {};
    c.modality_codes = 0;
    const std::vector<TaskSpec> two{{"t", TaskType::Classification, 3, {{"x", "table", {4}}, {"y", "table", {2}}}}};
    c.modality_codes = 1;
    CHECK_THROWS_WITH(token_layouts(c, two), Contains("model.modality_codes (1) is less than the 2 distinct"));
}

TEST_CASE("tokens: rectangular patches HxW cut ENRICO's screens into 16 x 8 blocks of 384 channels (Table 16)",
          "[model][tokens]") {
    const std::vector<TaskSpec> enrico{{"enrico", TaskType::Classification, 20, {{"screenshot", "image", {3, 256, 128}}}}};
    ModelConfig c = tiny_highmmt();
    c.token_rules = {"enrico/screenshot: patches=16x8"};
    const TokenLayouts layout = token_layouts(c, enrico);
    CHECK(layout.tasks[0][0].tokens() == 16 * 16);
    CHECK(layout.tasks[0][0].channels == 384);
    CHECK(layout.tasks[0][0].axes == std::vector<std::int64_t>{16, 16});
    CHECK(token_rule_name(layout.tasks[0][0]) == "patches=16x8");
    // A block p x q of the image is one token, its channels (c, row, column) in order.
    c.latents = 2;
    MultitaskModel model(c, enrico);
    const at::Tensor image = at::arange(3 * 256 * 128, at::kFloat).view({1, 3, 256, 128});
    const at::Tensor data = model->highmmt->encoder->token_parts(0, 0, image).data;  // [1, 256, 384]
    CHECK(data.sizes() == at::IntArrayRef{1, 256, 384});
    CHECK(data[0][17][0].item<float>() == image[0][0][16][8].item<float>());  // token (1, 1): rows 16.., columns 8..
    CHECK(data[0][17][1].item<float>() == image[0][0][16][9].item<float>());
    CHECK(data[0][17][8].item<float>() == image[0][0][17][8].item<float>());
    CHECK(data[0][17][128].item<float>() == image[0][1][16][8].item<float>());
    // A patch that does not divide the image is refused, naming the rule.
    c.token_rules = {"enrico/screenshot: patches=24x8"};
    CHECK_THROWS_WITH(token_layouts(c, enrico), Contains("needs [C, H, W] with H a multiple of 24 and W a multiple of 8"));
}

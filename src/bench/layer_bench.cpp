#include "bench/layer_bench.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>
#include <torch/nn/modules/linear.h>

#include "bench/timing.h"
#include "core/errors.h"
#include "model/kernels/dispatch_kernels.h"
#include "model/moe/sparse_feed_forward.h"

namespace sm4 {
namespace {

constexpr double kCapacityFactor = 1.25;

// Every parameter's gradient dropped, so each timed backward writes fresh ones as in training
// after zero_grad(set_to_none).
void clear_grads(torch::nn::Module& module) {
    for (auto& p : module.parameters()) p.mutable_grad().reset();
}

// The tokens' routing: one modality slot (every token top_k), or `modalities` slots in equal
// contiguous blocks, slot j activating k_j = j + 1 experts (mixed k in one plan).
TokenRouting routing_of(const LayerCase& c, const at::Device& device) {
    TokenRouting r;
    const std::int64_t slots = std::max<std::int64_t>(c.modalities, 1);
    const auto options = at::TensorOptions().dtype(at::kLong).device(device);
    r.slot = at::floor_divide(at::arange(c.tokens, options) * slots, c.tokens);
    r.k = c.modalities > 0 ? r.slot + 1 : at::full({c.tokens}, c.top_k, options);
    r.k_max = c.modalities > 0 ? c.modalities : c.top_k;
    r.uniform_k = c.modalities <= 1;
    for (std::int64_t j = 0; j < slots; ++j) r.slots.push_back(j);
    r.local_slot = r.slot;
    return r;
}

double moe_capacity(const LayerCase& c) { return c.capacity ? kCapacityFactor : 0.0; }

SparseFeedForward make_moe(const LayerCase& c, const at::Device& device) {
    SparseFeedForwardSettings s;
    s.router.d_model = c.d_model;
    s.router.experts = c.experts;
    s.router.slots = std::max<std::int64_t>(c.modalities, 1);
    s.hidden = c.hidden();
    s.capacity_factor = moe_capacity(c);
    SparseFeedForward moe(s, s.router.slots);
    moe->to(device);
    return moe;
}

}  // namespace

double LayerCase::mean_k() const {
    if (modalities <= 0) return static_cast<double>(top_k);
    return (static_cast<double>(modalities) + 1.0) / 2.0;  // k = 1..modalities over equal blocks
}

double LayerCase::flops() const {
    return 12.0 * static_cast<double>(tokens) * mean_k() * static_cast<double>(d_model) * static_cast<double>(hidden());
}

std::vector<LayerCase> layer_grid(const std::string& name) { return layer_grid(parse_choice<LayerGrid>("layer grid", name)); }

std::vector<LayerCase> layer_grid(LayerGrid grid) {
    std::vector<LayerCase> cases;
    if (grid == LayerGrid::Targets) {
        cases = {{8192, 256, 16, 2, false, 0}, {8192, 64, 16, 2, false, 0}};  // the two target sizes
    } else if (grid == LayerGrid::Tiny) {
        cases = {{256, 16, 4, 2, false, 0}, {256, 16, 4, 2, true, 0}, {256, 16, 4, 1, true, 2}, {256, 16, 4, 1, false, 4}};
    } else if (grid == LayerGrid::Quick) {
        cases = {{8192, 256, 16, 2, false, 0}, {8192, 64, 16, 2, false, 0}, {8192, 256, 16, 2, true, 0},
                 {8192, 64, 16, 2, true, 0},   {8192, 64, 16, 1, false, 2}, {8192, 64, 16, 1, false, 4},
                 {4096, 128, 4, 1, false, 0},  {32768, 64, 64, 4, false, 0}, {16384, 512, 8, 2, false, 0}};
    } else {
        for (std::int64_t tokens : {4096, 8192, 32768})
            for (std::int64_t d : {64, 128, 256, 512})
                for (std::int64_t experts : {4, 16, 64})
                    for (std::int64_t k : {1, 2, 4})
                        for (bool capacity : {false, true}) cases.push_back({tokens, d, experts, k, capacity, 0});
        for (std::int64_t d : {64, 256})
            for (std::int64_t modalities : {2, 4}) cases.push_back({8192, d, 16, 1, false, modalities});
    }
    return cases;
}

MatmulCeiling measure_matmul(std::int64_t n, const at::Device& device, int repeats) {
    const torch::NoGradGuard no_grad;
    const auto options = at::TensorOptions().device(device);
    const at::Tensor a = at::randn({n, n}, options), b = at::randn({n, n}, options);
    at::Tensor c = at::empty({n, n}, options);
    MatmulCeiling out;
    out.n = n;
    out.ms = interleaved_median_ms({[&] { at::mm_out(c, a, b); }}, 1, repeats, device)[0];
    out.gflops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) / out.ms / 1e6;
    out.load = load_average();
    return out;
}

LayerResult measure_layer(const LayerCase& c, const at::Device& device, int warmup, int repeats) {
    at::manual_seed(0);
    const auto options = at::TensorOptions().device(device);
    SparseFeedForward moe = make_moe(c, device);
    // The dense feed-forward of the same active FLOPs: mean k times an expert's hidden width.
    const auto dense_hidden = static_cast<std::int64_t>(std::llround(c.mean_k() * static_cast<double>(c.hidden())));
    torch::nn::Linear ff1(c.d_model, dense_hidden), ff2(dense_hidden, c.d_model);
    ff1->to(device);
    ff2->to(device);
    const at::Tensor x = at::randn({c.tokens, c.d_model}, options).requires_grad_();
    const at::Tensor grad = at::randn({c.tokens, c.d_model}, options);
    const TokenRouting routing = routing_of(c, device);

    auto moe_step = [&] {
        clear_grads(*moe);
        const at::Tensor y = moe->forward(x, routing);
        torch::autograd::backward({y, moe->aux_loss}, {grad, at::ones({}, options)});
        x.mutable_grad().reset();
    };
    auto dense_step = [&] {
        clear_grads(*ff1);
        clear_grads(*ff2);
        ff2(at::gelu(ff1(x))).backward(grad);
        x.mutable_grad().reset();
    };
    const DispatchPlan plan = plan_routing(moe->router->forward(x, routing), c.experts, moe_capacity(c));
    auto route = [&] { moe->router->forward(x, routing); };
    auto plan_step = [&] { plan_routing(moe->router->forward(x, routing), c.experts, moe_capacity(c)); };  // router included: subtracted below
    auto dispatch = [&] { combine_rows(gather_rows(x.detach(), plan), plan, c.tokens); };
    const auto ms = interleaved_median_ms({moe_step, dense_step, route, plan_step, dispatch}, warmup, repeats, device);

    LayerResult r;
    r.shape = c;
    r.moe_ms = ms[0];
    r.dense_ms = ms[1];
    r.ratio = ms[0] / ms[1];
    r.moe_gflops = c.flops() / ms[0] / 1e6;
    r.dense_gflops = c.flops() / ms[1] / 1e6;
    r.router_ms = ms[2];
    r.plan_ms = std::max(0.0, ms[3] - ms[2]);
    r.dispatch_ms = ms[4];
    r.routing_share = (r.router_ms + r.plan_ms + r.dispatch_ms) / r.moe_ms;
    r.dropped = plan.dropped;
    r.load = load_average();
    return r;
}

}  // namespace sm4

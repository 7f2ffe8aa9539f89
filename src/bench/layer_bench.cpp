#include "bench/layer_bench.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>
#include <torch/nn/modules/linear.h>

#include "bench/timing.h"
#include "core/errors.h"
#include "model/dispatch_kernels.h"
#include "model/moe_feed_forward.h"
#include "model/sm4_moe.h"

namespace sm4 {
namespace {

constexpr double kCapacityFactor = 1.25;

MoeSettings settings_of(const LayerCase& c) {
    MoeSettings s;
    s.d_model = c.d_model;
    s.hidden = c.hidden();
    s.experts = c.experts;
    s.top_k = c.top_k;
    s.capacity_factor = c.capacity ? kCapacityFactor : 0.0;
    return s;
}

// Every parameter's gradient dropped, so each timed backward writes fresh ones as in training
// after zero_grad(set_to_none).
void clear_grads(torch::nn::Module& module) {
    for (auto& p : module.parameters()) p.mutable_grad().reset();
}

// The layer under test behind one interface: the vanilla MoE or SM4's grouped one.
struct MoeUnderTest {
    MoeFeedForward smoe{nullptr};
    Sm4Moe sm4{nullptr};
    RoutingAccumulator scratch;  // the routing stage's statistics, thrown away

    torch::nn::Module& module() { return smoe ? *smoe : static_cast<torch::nn::Module&>(*sm4); }
    at::Tensor forward(const at::Tensor& x, const at::Tensor& slots) {
        return smoe ? smoe->forward(x, slots) : sm4->forward(x, slots);
    }
    at::Tensor aux() const { return smoe ? smoe->aux_loss : sm4->aux_loss; }
    // Router, then plan: the two routing stages, each timed alone by the callers.
    std::function<void()> route(const at::Tensor& x, const at::Tensor& slots) {
        if (smoe) return [this, x] { smoe->router->forward(x); };
        return [this, x, slots] { sm4->router->forward(x, slots, scratch); };
    }
    DispatchPlan plan(const at::Tensor& x, const at::Tensor& slots) {
        if (smoe) return smoe->plan(smoe->router->forward(x), x.size(0));
        return sm4->plan(sm4->router->forward(x, slots, scratch), x.device());
    }
};

MoeUnderTest make_moe(const LayerCase& c, const at::Device& device) {
    MoeUnderTest m;
    if (c.groups > 0) {
        ExpertGroups groups;  // one group per modality slot, the experts dealt out in turn
        for (std::int64_t g = 0; g < c.groups; ++g) {
            groups.group_of_slot.push_back(g);
            groups.names.push_back("modality" + std::to_string(g));
        }
        groups.experts.assign(static_cast<std::size_t>(c.groups), 0);
        for (std::int64_t e = 0; e < c.experts; ++e) ++groups.experts[static_cast<std::size_t>(e % c.groups)];
        m.sm4 = Sm4Moe(settings_of(c), groups, c.groups);
        m.sm4->to(device);
    } else {
        m.smoe = MoeFeedForward(settings_of(c), 1);
        m.smoe->to(device);
    }
    m.scratch.reset(std::max<std::int64_t>(c.groups, 1), c.experts);
    return m;
}

}  // namespace

double LayerCase::flops() const {
    return 12.0 * static_cast<double>(tokens) * static_cast<double>(top_k) * static_cast<double>(d_model) *
           static_cast<double>(hidden());
}

std::vector<LayerCase> layer_grid(const std::string& name) { return layer_grid(parse_choice<LayerGrid>("layer grid", name)); }

std::vector<LayerCase> layer_grid(LayerGrid grid) {
    std::vector<LayerCase> cases;
    if (grid == LayerGrid::Targets) {
        cases = {{8192, 256, 16, 2, false, 0}, {8192, 64, 16, 2, false, 0}};  // the two target sizes
    } else if (grid == LayerGrid::Tiny) {
        cases = {{256, 16, 4, 2, false, 0}, {256, 16, 4, 2, true, 0}, {256, 16, 4, 1, true, 2}};
    } else if (grid == LayerGrid::Quick) {
        cases = {{8192, 256, 16, 2, false, 0}, {8192, 64, 16, 2, false, 0}, {8192, 256, 16, 2, true, 0},
                 {8192, 64, 16, 2, true, 0},   {8192, 256, 16, 2, true, 4}, {8192, 64, 16, 2, true, 4},
                 {4096, 128, 4, 1, false, 0},  {32768, 64, 64, 4, false, 0}, {16384, 512, 8, 2, false, 0}};
    } else {
        for (std::int64_t tokens : {4096, 8192, 32768})
            for (std::int64_t d : {64, 128, 256, 512})
                for (std::int64_t experts : {4, 16, 64})
                    for (std::int64_t k : {1, 2, 4})
                        for (bool capacity : {false, true}) cases.push_back({tokens, d, experts, k, capacity, 0});
        for (std::int64_t d : {64, 256})
            for (std::int64_t groups : {2, 4}) cases.push_back({8192, d, 16, 2, true, groups});
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
    MoeUnderTest moe = make_moe(c, device);
    torch::nn::Linear ff1(c.d_model, c.top_k * c.hidden()), ff2(c.top_k * c.hidden(), c.d_model);
    ff1->to(device);
    ff2->to(device);
    const at::Tensor x = at::randn({c.tokens, c.d_model}, options).requires_grad_();
    const at::Tensor grad = at::randn({c.tokens, c.d_model}, options);
    const std::int64_t slot_count = std::max<std::int64_t>(c.groups, 1);
    const at::Tensor slots = at::arange(c.tokens, options.dtype(at::kLong)).remainder(slot_count);

    auto moe_step = [&] {
        clear_grads(moe.module());
        const at::Tensor y = moe.forward(x, slots);
        torch::autograd::backward({y, moe.aux()}, {grad, at::ones({}, options)});
        x.mutable_grad().reset();
    };
    auto dense_step = [&] {
        clear_grads(*ff1);
        clear_grads(*ff2);
        ff2(at::gelu(ff1(x))).backward(grad);
        x.mutable_grad().reset();
    };
    const DispatchPlan plan = moe.plan(x, slots);
    auto route = moe.route(x, slots);
    auto plan_step = [&] { moe.plan(x, slots); };  // includes the router: subtracted below
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

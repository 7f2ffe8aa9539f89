// The CPU fast paths against their plain references: the fused router against the op-by-op one,
// the vectorisable float functions against libm, the dispatch kernels against index_select.
#include <ATen/ATen.h>
#include <catch.hpp>
#include <torch/autograd.h>
#include <torch/optim/sgd.h>

#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <unordered_set>
#include <vector>

#include "model/kernels/activation_kernels.h"
#include "model/kernels/dispatch_kernels.h"
#include "model/kernels/fast_math.h"
#include "model/kernels/gating_kernels.h"
#include "model/moe/expert_router.h"
#include "model/moe/top_k_gating.h"
#include "model/moe/sparse_feed_forward.h"
#include "model/moe/routing.h"

using namespace sm4;

namespace {

// A loss touching every gate output: weights (through a random projection), balance, z.
at::Tensor gate_loss(const Gating& g, const at::Tensor& projection) {
    return (g.weights * projection).sum() + balance_loss(g.importance, g.load) + 0.1 * g.logsumexp.pow(2).mean();
}

// Every autograd node reachable from `roots`, held weakly so the check does not keep them alive.
std::vector<std::weak_ptr<torch::autograd::Node>> graph_of(const std::vector<at::Tensor>& roots) {
    std::vector<std::shared_ptr<torch::autograd::Node>> stack;
    for (const auto& t : roots)
        if (t.grad_fn()) stack.push_back(t.grad_fn());
    std::unordered_set<torch::autograd::Node*> seen;
    std::vector<std::weak_ptr<torch::autograd::Node>> nodes;
    while (!stack.empty()) {
        const auto node = stack.back();
        stack.pop_back();
        if (!seen.insert(node.get()).second) continue;
        nodes.push_back(node);
        for (const auto& edge : node->next_edges())
            if (edge.function) stack.push_back(edge.function);
    }
    return nodes;
}

std::size_t alive(const std::vector<std::weak_ptr<torch::autograd::Node>>& nodes) {
    std::size_t n = 0;
    for (const auto& w : nodes) n += w.expired() ? 0 : 1;
    return n;
}

}  // namespace

TEST_CASE("kernels: the fused top-k gate equals the op-by-op one for mixed k, noise, routers and both gates",
          "[model][kernels]") {
    at::manual_seed(11);
    const std::int64_t tokens = 1300, experts = 6;  // several 512-token chunks
    for (const bool noisy : {true, false})
        for (const bool renormalize : {false, true})
            for (const bool mixed : {false, true}) {
                INFO((noisy ? "noisy" : "clean") << (renormalize ? ", renormalised" : ", full softmax") << (mixed ? ", mixed k" : ""));
                const at::Tensor logits = (0.7 * at::randn({tokens, (noisy ? 2 : 1) * experts})).requires_grad_();
                // k 1..experts by token (experts itself included: no load threshold then), or 2 for all.
                const at::Tensor k = mixed ? at::arange(tokens, at::kLong).remainder(experts) + 1 : at::full({tokens}, 2, at::kLong);
                const std::int64_t k_max = mixed ? experts : 2;
                GatingInput in{logits, noisy ? at::randn({tokens, experts}) : at::Tensor(), k, k_max,
                               at::arange(tokens, at::kLong).remainder(3), 3, renormalize};
                const at::Tensor projection = at::randn({tokens, k_max});
                const Gating fused = fused_top_k_gating(in), reference = top_k_gating_reference(in);
                CHECK(at::equal(fused.indices, reference.indices));
                CHECK(at::allclose(fused.weights, reference.weights, 1e-5, 1e-6));
                CHECK(at::allclose(fused.probabilities, reference.probabilities, 1e-5, 1e-6));
                CHECK(at::allclose(fused.importance, reference.importance, 1e-4, 1e-4));
                CHECK(at::allclose(fused.load, reference.load, 1e-4, 1e-4));
                CHECK(at::allclose(fused.logsumexp, reference.logsumexp, 1e-5, 1e-5));
                CHECK(at::allclose(fused.entropy, reference.entropy, 1e-5, 1e-6));
                const auto grad_fused = torch::autograd::grad({gate_loss(fused, projection)}, {logits});
                const auto grad_reference = torch::autograd::grad({gate_loss(reference, projection)}, {logits});
                CHECK(at::allclose(grad_fused[0], grad_reference[0], 1e-4, 1e-5));
                CHECK(grad_reference[0].abs().sum().item<double>() > 1.0);  // gradients actually flow
            }
}

TEST_CASE("kernels: the fused gate's top-k on ties takes the lower index, and NaN logits still give experts",
          "[model][kernels]") {
    // ATen's topk leaves the order of ties unspecified; the fused gate takes the lower index,
    // in float (keys and reductions) and in double (insertion) alike.
    const std::int64_t experts = 6, k = 2;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<std::vector<float>> rows = {
        {1, 3, 3, 2, 3, 0},              // a three-way tie for first
        {-0.0f, 0, -1, -0.0f, -2, -3},   // zeros tie
        {-1e30f, -1e30f, -1e30f, -2e30f, -1e30f, -1e30f},
        {7, 7, 1e30f, 5, 1e30f, 7},
        {-1, nan, 2, 2, 1, 0},           // a diverging router: NaN above every number, as ATen's topk
        {nan, nan, nan, nan, nan, nan},  // a diverged one: still experts to dispatch to
    };
    const at::Tensor expected = at::tensor({1, 2, 0, 1, 0, 1, 2, 4, 1, 2, 0, 1}, at::kLong).view({6, 2});
    const std::int64_t tokens = static_cast<std::int64_t>(rows.size());
    at::Tensor x = at::empty({tokens, experts});
    for (std::int64_t t = 0; t < tokens; ++t)
        for (std::int64_t j = 0; j < experts; ++j) x[t][j] = rows[static_cast<std::size_t>(t)][static_cast<std::size_t>(j)];
    for (const auto dtype : {at::kFloat, at::kDouble}) {
        const GatingInput in{x.to(dtype), at::Tensor(), at::full({tokens}, k, at::kLong), k, at::Tensor(), 1, false};
        const at::Tensor fused = fused_top_k_gating(in).indices;
        INFO("dtype " << dtype << "\nfused " << fused);
        CHECK(at::equal(fused, expected));
    }
}

TEST_CASE("kernels: the router's training forward takes the fused path and still learns to balance",
          "[model][kernels]") {
    at::manual_seed(5);
    RouterSettings s;
    s.d_model = 16;
    s.experts = 8;
    ExpertRouter router(s);
    router->train();
    {
        const torch::NoGradGuard no_grad;
        router->weight.normal_(0, 1);  // a router that prefers a few experts
    }
    const at::Tensor x = at::randn({2048, 16});
    TokenRouting routing;
    routing.slot = at::zeros({2048}, at::kLong);
    routing.k = at::full({2048}, 2, at::kLong);
    routing.k_max = 2;
    routing.slots = {0};
    routing.local_slot = routing.slot;
    torch::optim::SGD optimiser(router->parameters(), torch::optim::SGDOptions(0.5));
    const double before = router->forward(x, routing).balance_loss.item<double>();
    for (int step = 0; step < 40; ++step) {
        optimiser.zero_grad();
        router->forward(x, routing).balance_loss.backward();
        optimiser.step();
    }
    const double after = router->forward(x, routing).balance_loss.item<double>();
    INFO("balance loss " << before << " -> " << after);
    CHECK(after < 0.5 * before);
}

TEST_CASE("kernels: the vectorisable exp, log1p and erf agree with libm", "[model][kernels]") {
    double exp_error = 0, log1p_error = 0, erf_error = 0;
    for (int i = -8000; i <= 8000; ++i) {
        const float x = static_cast<float>(i) / 100.0f;  // -80 .. 80
        exp_error = std::max(exp_error, std::abs(fast::exp(x) / std::exp(static_cast<double>(x)) - 1.0));
        const float y = static_cast<float>(i + 8000) / 16000.0f;  // 0 .. 1
        log1p_error = std::max(log1p_error, std::abs(fast::log1p_unit(y) - std::log1p(static_cast<double>(y))));
        const float z = static_cast<float>(i) / 1000.0f;  // -8 .. 8
        erf_error = std::max(erf_error, std::abs(fast::erf(z) - std::erf(static_cast<double>(z))));
    }
    CHECK(exp_error < 1e-6);
    CHECK(log1p_error < 1e-7);
    CHECK(erf_error < 5e-7);
    CHECK(fast::exp(-200.0f) >= 0.0f);
    CHECK(std::isfinite(fast::exp(200.0f)));
    CHECK(fast::log1p_unit(1e-9f) == Approx(1e-9).epsilon(1e-3));  // small arguments keep their precision
}

TEST_CASE("kernels: a training step of the noisy MoE frees its whole graph once its outputs are dropped",
          "[model][kernels]") {
    // A custom autograd function that keeps its own output in saved_data holds its own node: the
    // graph of every step then leaks (it did, about 3 MB a step at 8,192 tokens and d_model 64).
    at::manual_seed(3);
    SparseFeedForwardSettings settings;
    settings.router.d_model = 16;
    settings.router.experts = 8;
    settings.hidden = 32;
    SparseFeedForward moe(settings, 1);
    moe->train();
    const at::Tensor x = at::randn({600, 16}).requires_grad_();
    TokenRouting routing;
    routing.slot = at::zeros({600}, at::kLong);
    routing.k = at::tensor({1, 2}, at::kLong).repeat({300});  // mixed k: the masked plan too
    routing.k_max = 2;
    routing.uniform_k = false;
    routing.slots = {0};
    routing.local_slot = routing.slot;
    std::vector<std::weak_ptr<torch::autograd::Node>> nodes;
    SECTION("after backward") {
        at::Tensor y = moe->forward(x, routing);
        nodes = graph_of({y, moe->aux_loss, moe->z_loss});
        torch::autograd::backward({y.sum() + moe->aux_loss + moe->z_loss});
    }
    SECTION("with no backward (an evaluation under grad mode, a step that threw)") {
        const RouterOutput r = moe->router->forward(x, routing);
        nodes = graph_of({r.weights, r.balance_loss, r.z_loss});
    }
    REQUIRE(nodes.size() > 3);
    moe->aux_loss = at::Tensor();
    moe->z_loss = at::Tensor();
    moe->last_plan = DispatchPlan();
    CHECK(alive(nodes) == 0);
}

TEST_CASE("kernels: the counting sort by expert is the stable sort on expert - priority / 2", "[model][kernels]") {
    at::manual_seed(9);
    const std::int64_t n = 5000, experts = 7;
    const at::Tensor expert = at::randint(experts, {n}, at::kLong);
    at::Tensor priority = at::randint(5, {n}).to(at::kFloat) / 4;  // many ties
    priority.index_put_({at::arange(0, n, 97)}, std::numeric_limits<float>::quiet_NaN());
    priority.index_put_({at::arange(5, n, 89)}, -0.0f);  // and -0, equal to 0
    const at::Tensor by_expert = std::get<1>(expert.sort(/*stable=*/true, 0, false));
    const at::Tensor key = expert.to(at::kDouble) - 0.5 * at::nan_to_num(priority.to(at::kDouble), 0.0);
    const at::Tensor by_priority = std::get<1>(key.sort(/*stable=*/true, 0, false));
    CHECK(at::equal(order_by_expert(expert, experts, at::Tensor()), by_expert));
    CHECK(at::equal(order_by_expert(expert, experts, priority), by_priority));                   // float: integer keys
    CHECK(at::equal(order_by_expert(expert, experts, priority.to(at::kDouble)), by_priority));  // double: ATen's sort
    CHECK_THROWS_WITH(order_by_expert(at::tensor({0, 7}, at::kLong), experts, at::Tensor()),
                      Catch::Contains("expert 7 outside [0, 7)"));
}

TEST_CASE("kernels: the experts' GELU and its backward agree with LibTorch's, in place too", "[model][kernels]") {
    const at::Tensor h = at::linspace(-12, 12, 100001);
    const at::Tensor grad = at::randn({100001});
    at::Tensor out = at::empty_like(h);
    gelu_into(out, h);
    CHECK((out - at::gelu(h)).abs().max().item<double>() < 2e-6);
    at::Tensor grad_h = grad.clone();
    gelu_backward_into(grad_h, grad_h, h);  // in place, as the experts' backward runs it
    const at::Tensor expected = at::gelu_backward(grad, h);
    CHECK((grad_h - expected).abs().max().item<double>() < 2e-6 * grad.abs().max().item<double>());
    // Double (and any non-float) goes through LibTorch: exactly its result.
    at::Tensor out_double = at::empty_like(h, at::kDouble);
    gelu_into(out_double, h.to(at::kDouble));
    CHECK(at::equal(out_double, at::gelu(h.to(at::kDouble))));
}

TEST_CASE("kernels: gather_rows takes the plan's rows of x, as index_select does", "[model][kernels]") {
    at::manual_seed(4);
    const at::Tensor x = at::randn({700, 24});
    const DispatchPlan plan = plan_dispatch(at::randint(5, {700, 2}, at::kLong), at::rand({700, 2}), 5, 700 * 2);
    CHECK(at::equal(gather_rows(x, plan), x.index_select(0, plan.tokens)));
}

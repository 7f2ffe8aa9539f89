// SMoA (3.1, A.7, C.3) against a hand-computed case: two experts in each of the query, key and
// value groups, two tokens routed differently by each group's router.
#include <catch.hpp>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cmath>

#include "model/attention/sparse_attention.h"

using namespace sm4;

namespace {

TokenRouting one_slot(std::int64_t tokens, std::int64_t k) {
    TokenRouting r;
    r.slot = at::zeros({tokens}, at::kLong);
    r.k = at::full({tokens}, k, at::kLong);
    r.k_max = k;
    r.slots = {0};
    r.local_slot = r.slot;
    return r;
}

SparseAttention hand_case(bool shared_router) {
    SparseAttentionSettings s;
    s.router.d_model = 4;
    s.router.experts = 2;
    s.router.noisy = false;
    s.heads = 1;
    s.shared_router = shared_router;
    at::manual_seed(21);
    SparseAttention smoa(s, 1);
    torch::NoGradGuard no_grad;
    // Query router: token 0 -> expert 0, token 1 -> expert 1; key router the other way round;
    // value router: both tokens -> expert 0.
    smoa->router_of(0)->weight[0].copy_(at::tensor({5.0f, 0.0f, 0.0f, 0.0f, 0.0f, 5.0f, 0.0f, 0.0f}).view({2, 4}));
    if (!shared_router) {
        smoa->router_of(1)->weight[0].copy_(at::tensor({0.0f, 5.0f, 0.0f, 0.0f, 5.0f, 0.0f, 0.0f, 0.0f}).view({2, 4}));
        smoa->router_of(2)->weight[0].copy_(at::tensor({1.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}).view({2, 4}));
    }
    return smoa;
}

}  // namespace

TEST_CASE("smoa: query, key and value come from the experts their own routers chose, by hand", "[model][attention]") {
    SparseAttention smoa = hand_case(false);
    smoa->eval();
    const at::Tensor x = at::tensor({1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f}).view({1, 2, 4});
    const at::Tensor out = smoa->forward(x, one_slot(2, 1));

    // By hand: gate = the chosen entry of the full softmax of the router's logits.
    const double strong = std::exp(5.0) / (std::exp(5.0) + 1.0), weak = std::exp(1.0) / (std::exp(1.0) + 1.0);
    auto project = [&](std::size_t group, std::int64_t token, std::int64_t expert, double gate) {
        return gate * (at::matmul(x[0][token], smoa->weight[group][expert]) + smoa->bias[group][expert]);
    };
    const at::Tensor q = at::stack({project(0, 0, 0, strong), project(0, 1, 1, strong)});
    const at::Tensor k = at::stack({project(1, 0, 1, strong), project(1, 1, 0, strong)});
    const at::Tensor v = at::stack({project(2, 0, 0, weak), project(2, 1, 0, weak)});
    const at::Tensor attention = at::softmax(at::matmul(q, k.t()) / 2.0, 1);  // one head of 4: scale 1/sqrt(4)
    const at::Tensor expected = smoa->out(at::matmul(attention, v)).unsqueeze(0);
    CHECK(at::allclose(out, expected, 1e-5, 1e-6));
    CHECK(at::equal(smoa->last_plans[0].experts, at::tensor({0, 1}, at::kLong)));
    CHECK(at::equal(smoa->last_plans[0].tokens, at::tensor({0, 1}, at::kLong)));
    CHECK(at::equal(smoa->last_plans[1].tokens, at::tensor({1, 0}, at::kLong)));  // expert 0 has token 1
    CHECK(smoa->last_plans[2].counts == std::vector<std::int64_t>{2, 0});
}

TEST_CASE("smoa: with one router for q, k and v (Table 12) the three groups take the same experts", "[model][attention]") {
    SparseAttention smoa = hand_case(true);
    CHECK(smoa->routers.size() == 1);
    const at::Tensor x = at::tensor({1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f}).view({1, 2, 4});
    smoa->forward(x, one_slot(2, 1));
    for (std::size_t g = 1; g < 3; ++g) {
        CHECK(at::equal(smoa->last_plans[g].experts, smoa->last_plans[0].experts));
        CHECK(at::equal(smoa->last_plans[g].tokens, smoa->last_plans[0].tokens));
    }
}

TEST_CASE("smoa: gradients reach every group's experts and routers", "[model][attention]") {
    SparseAttentionSettings s;
    s.router.d_model = 8;
    s.router.experts = 4;
    s.heads = 2;
    at::manual_seed(3);
    SparseAttention smoa(s, 1);
    smoa->train();
    const at::Tensor x = at::randn({3, 5, 8});
    const at::Tensor out = smoa->forward(x, one_slot(15, 2));
    (out.pow(2).sum() + smoa->aux_loss).backward();
    for (std::size_t g = 0; g < 3; ++g) {
        INFO("group " << g);
        CHECK(smoa->weight[g].grad().abs().sum().item<double>() > 0);
        CHECK(smoa->routers[g]->weight.grad().abs().sum().item<double>() > 0);
    }
}

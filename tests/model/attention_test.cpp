// The mixture of attention heads against its definition.
#include <catch.hpp>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "model/attention.h"

using namespace sm4;

TEST_CASE("mixture of heads: with k = E it equals the gate-weighted sum of every head", "[model][attention]") {
    at::manual_seed(11);
    const std::int64_t batch = 3, tokens = 5, d = 8, heads = 2, experts = 3;
    MixtureOfHeads moa(d, heads, experts, experts, /*noisy=*/false, 1);
    {
        torch::NoGradGuard no_grad;
        moa->router->gate->weight.normal_();
    }
    const at::Tensor x = at::randn({batch, tokens, d});
    const at::Tensor out = moa->forward(x, at::zeros({batch * tokens}, at::kLong));

    const std::int64_t hd = d / heads;
    const at::Tensor kv = moa->kv(x);
    const at::Tensor k = kv.narrow(2, 0, hd), v = kv.narrow(2, hd, hd);
    const at::Tensor gates = at::softmax(moa->router->gate(x), -1);  // [batch, tokens, experts]
    at::Tensor expected = at::zeros_like(x);
    for (std::int64_t e = 0; e < experts; ++e) {
        const at::Tensor q = at::matmul(x, moa->w_query[e]);                                   // [b, t, hd]
        const at::Tensor attention = at::softmax(at::matmul(q, k.transpose(1, 2)) / std::sqrt(double(hd)), -1);
        const at::Tensor head = at::matmul(at::matmul(attention, v), moa->w_output[e]);        // [b, t, d]
        expected = expected + gates.select(2, e).unsqueeze(2) * head;
    }
    CHECK(at::allclose(out, expected, 1e-5, 1e-6));
}

TEST_CASE("mixture of heads: with k < E each token uses only its top-k heads", "[model][attention]") {
    at::manual_seed(12);
    MixtureOfHeads moa(8, 2, 4, 1, /*noisy=*/false, 1);
    {
        torch::NoGradGuard no_grad;
        moa->router->gate->weight.normal_();
    }
    const at::Tensor x = at::randn({1, 2, 8});  // 2 tokens, 4 heads, top-1: 2+ heads unchosen
    const at::Tensor out = moa->forward(x, at::zeros({2}, at::kLong));
    // Zeroing the output projection of every head no token chose leaves the result unchanged.
    const at::Tensor chosen = std::get<1>(moa->router->gate(x.reshape({2, 8})).topk(1, 1)).reshape({-1});
    int unchosen = 0;
    {
        torch::NoGradGuard no_grad;
        for (std::int64_t e = 0; e < 4; ++e)
            if (!chosen.eq(e).any().item<bool>()) moa->w_output[e].zero_(), ++unchosen;
    }
    REQUIRE(unchosen > 0);
    CHECK(at::allclose(moa->forward(x, at::zeros({2}, at::kLong)), out));
    // ...while zeroing a chosen head changes it.
    {
        torch::NoGradGuard no_grad;
        moa->w_output[chosen[0].item<std::int64_t>()].zero_();
    }
    CHECK_FALSE(at::allclose(moa->forward(x, at::zeros({2}, at::kLong)), out));
}

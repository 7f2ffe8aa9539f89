// The fused attention passes against LibTorch's op-by-op attention: outputs and the gradients of
// both sources, for self-attention from one packed q|k|v projection and for cross-attention.
#include <catch.hpp>

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include "model/attention/fused_attention.h"
#include "platform/threads.h"

using namespace sm4;

namespace {

struct Gradients {
    at::Tensor out, grad_q, grad_kv;
};

Gradients run(bool fused, const at::Tensor& q_init, const at::Tensor& kv_init, bool same, const AttentionLayout& l,
              const at::Tensor& upstream) {
    at::Tensor q = q_init.clone().requires_grad_(true);
    at::Tensor kv = same ? q : kv_init.clone().requires_grad_(true);
    const at::Tensor out = fused ? multi_head_attention(q, kv, l) : multi_head_attention_reference(q, kv, l);
    (out * upstream).sum().backward();
    return {out.detach(), q.grad(), same ? at::Tensor() : kv.grad()};
}

void check_close(const at::Tensor& a, const at::Tensor& b) {
    REQUIRE(a.sizes() == b.sizes());
    const double scale = b.abs().max().item<double>() + 1e-6;
    CHECK((a - b).abs().max().item<double>() / scale < 2e-5);
}

}  // namespace

TEST_CASE("fused attention equals op-by-op attention, self-attention from packed q|k|v", "[model][attention][kernels]") {
    apply_thread_count(0);  // every core: the pairs on the block threads where OpenBLAS has them
    at::manual_seed(3);
    for (const auto& [batch, tokens, heads, head_dim] :
         std::vector<std::array<std::int64_t, 4>>{{64, 16, 4, 16}, {3, 13, 1, 8}, {5, 33, 6, 16}, {2, 1, 2, 4}}) {
        const std::int64_t d = heads * head_dim;
        const at::Tensor qkv = at::randn({batch, tokens, 3 * d}) * 2.0;
        const AttentionLayout l{heads, head_dim, 0, d, 2 * d, 1.0 / std::sqrt(static_cast<double>(head_dim))};
        const at::Tensor upstream = at::randn({batch, tokens, d});
        const Gradients fused = run(true, qkv, qkv, true, l, upstream);
        const Gradients reference = run(false, qkv, qkv, true, l, upstream);
        INFO("batch " << batch << " tokens " << tokens << " heads " << heads << " head_dim " << head_dim);
        check_close(fused.out, reference.out);
        check_close(fused.grad_q, reference.grad_q);
    }
}

TEST_CASE("fused attention equals op-by-op attention, cross-attention with other key counts", "[model][attention][kernels]") {
    at::manual_seed(4);
    // The second shape (many keys) takes the BLAS path of the kernels.
    for (const auto& [batch, queries, keys, heads, head_dim] :
         std::vector<std::array<std::int64_t, 5>>{{6, 5, 97, 8, 8}, {3, 20, 300, 1, 64}, {2, 20, 150, 2, 16}}) {
    INFO("queries " << queries << " keys " << keys << " heads " << heads << " head_dim " << head_dim);
    const std::int64_t inner = heads * head_dim;
    // Queries from a wider tensor (a view with a row stride), keys and values packed k | v.
    const at::Tensor wide = at::randn({batch, queries, inner + 7});
    const at::Tensor q = wide.narrow(2, 3, inner);
    const at::Tensor kv = at::randn({batch, keys, 2 * inner});
    const AttentionLayout l{heads, head_dim, 0, 0, inner, 0.35};
    const at::Tensor upstream = at::randn({batch, queries, inner});
    const Gradients fused = run(true, q, kv, false, l, upstream);
    const Gradients reference = run(false, q, kv, false, l, upstream);
    check_close(fused.out, reference.out);
    check_close(fused.grad_q, reference.grad_q);
    check_close(fused.grad_kv, reference.grad_kv);
    }
}

TEST_CASE("fused attention: the same result on one thread and on two", "[model][attention][kernels]") {
    at::manual_seed(5);
    const at::Tensor qkv = at::randn({32, 20, 3 * 32});
    const AttentionLayout l{4, 8, 0, 32, 64, 0.5};
    const at::Tensor upstream = at::randn({32, 20, 32});
    apply_thread_count(1);
    const Gradients one = run(true, qkv, qkv, true, l, upstream);
    apply_thread_count(2);
    const Gradients two = run(true, qkv, qkv, true, l, upstream);
    apply_thread_count(0);
    CHECK(at::equal(one.out, two.out));
    CHECK(at::equal(one.grad_q, two.grad_q));
}

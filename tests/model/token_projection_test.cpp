// HighMMT's first key/value projection computed from a token's data channels and a shared tail
// against the op-by-op form (concatenate, layer norm, product): outputs and the gradients of the
// weight and of the norm's scale and shift.
#include <catch.hpp>

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <array>

#include "model/flops/flop_counter.h"
#include "model/tokens/token_projection.h"

using namespace sm4;

namespace {

struct Result {
    at::Tensor out, grad_gamma, grad_beta, grad_weight;
};

Result run(bool fused, const TokenParts& tokens, const at::Tensor& gamma_init, const at::Tensor& beta_init,
           const at::Tensor& weight_init, const at::Tensor& upstream) {
    const at::Tensor gamma = gamma_init.clone().requires_grad_(true), beta = beta_init.clone().requires_grad_(true),
                     weight = weight_init.clone().requires_grad_(true);
    const at::Tensor out = fused ? normed_token_projection(tokens, gamma, beta, 1e-5, weight)
                                 : normed_token_projection_reference(tokens, gamma, beta, 1e-5, weight);
    (out * upstream).sum().backward();
    return {out.detach(), gamma.grad(), beta.grad(), weight.grad()};
}

void check_close(const at::Tensor& a, const at::Tensor& b) {
    REQUIRE(a.sizes() == b.sizes());
    const double scale = b.abs().max().item<double>() + 1e-6;
    CHECK((a - b).abs().max().item<double>() / scale < 1e-4);
}

}  // namespace

TEST_CASE("token projection from data and a shared tail equals concatenate, layer norm, product",
          "[model][highmmt][kernels]") {
    at::manual_seed(5);
    // (batch, tokens, data channels, tail channels, outputs): pixels of one channel with a long
    // tail (fashion-mnist's shape), audio steps of 32 channels, a table, one token.
    for (const auto& [batch, tokens, channels, rest, outputs] : std::vector<std::array<std::int64_t, 5>>{
             {8, 784, 1, 43, 128}, {5, 32, 32, 22, 64}, {3, 30, 1, 53, 16}, {2, 1, 7, 3, 4}}) {
        INFO("batch " << batch << " tokens " << tokens << " channels " << channels << " tail " << rest);
        // Data of non-zero mean and a tail of position-feature-like values and one-hot codes.
        const TokenParts parts{at::rand({batch, tokens, channels}) * 3.0 + 0.5,
                               at::cat({at::rand({tokens, rest - 1}) * 2.0 - 1.0, at::ones({tokens, 1})}, 1)};
        const at::Tensor gamma = 1.0 + 0.2 * at::randn({channels + rest}), beta = 0.1 * at::randn({channels + rest});
        const at::Tensor weight = at::randn({outputs, channels + rest}) * 0.2;
        const at::Tensor upstream = at::randn({batch, tokens, outputs});
        const Result fused = run(true, parts, gamma, beta, weight, upstream);
        const Result reference = run(false, parts, gamma, beta, weight, upstream);
        check_close(fused.out, reference.out);
        check_close(fused.grad_gamma, reference.grad_gamma);
        check_close(fused.grad_beta, reference.grad_beta);
        check_close(fused.grad_weight, reference.grad_weight);
    }
}

TEST_CASE("token projection: under a FLOP counter the whole product over every channel is counted",
          "[model][highmmt][flops]") {
    const std::int64_t batch = 4, tokens = 10, channels = 2, rest = 6, outputs = 5;
    const TokenParts parts{at::randn({batch, tokens, channels}), at::randn({tokens, rest})};
    const at::Tensor weight = at::randn({outputs, channels + rest});
    MatmulFlopCounter counter;
    normed_token_projection(parts, at::ones({channels + rest}), at::zeros({channels + rest}), 1e-5, weight);
    CHECK(counter.total() == 2.0 * batch * tokens * (channels + rest) * outputs);
}

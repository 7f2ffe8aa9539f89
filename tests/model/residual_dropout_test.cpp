// x + dropout(y) on the residual branches: the drop rate, the scaling, the gradients, and the
// same mask for the same seed.
#include <catch.hpp>

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include "model/kernels/gelu.h"
#include "model/kernels/residual_dropout.h"

using namespace sm4;

TEST_CASE("residual dropout drops p of y, scales the rest by 1/(1-p) and passes x through", "[model][dropout]") {
    at::manual_seed(7);
    const double p = 0.25;
    const at::Tensor x = at::randn({64, 30, 64}).requires_grad_(true);
    const at::Tensor y = (at::rand({64, 30, 64}) + 0.5).requires_grad_(true);  // never 0: the mask is readable
    const at::Tensor out = residual_dropout(x, y, p, true);
    const at::Tensor ratio = ((out - x) / y).detach();  // 0 where dropped, 1/(1-p) where kept
    const at::Tensor kept = ratio > 0.5;
    const double dropped = 1.0 - kept.to(at::kDouble).mean().item<double>();
    CHECK(dropped == Approx(p).margin(0.01));
    CHECK((ratio.masked_select(kept) - 1.0 / (1.0 - p)).abs().max().item<double>() < 1e-5);
    CHECK(ratio.masked_select(kept.logical_not()).abs().max().item<double>() < 1e-5);

    const at::Tensor upstream = at::randn(out.sizes());
    (out * upstream).sum().backward();
    CHECK(at::allclose(x.grad(), upstream));
    CHECK(at::allclose(y.grad(), upstream * ratio, 1e-5, 1e-6));
}

TEST_CASE("residual dropout: the same seed draws the same mask; the next call another", "[model][dropout]") {
    const at::Tensor x = at::zeros({1000});
    const at::Tensor y = at::ones({1000});
    at::manual_seed(3);
    const at::Tensor first = residual_dropout(x, y, 0.5, true);
    const at::Tensor second = residual_dropout(x, y, 0.5, true);
    at::manual_seed(3);
    const at::Tensor again = residual_dropout(x, y, 0.5, true);
    CHECK(at::equal(first, again));
    CHECK_FALSE(at::equal(first, second));
}

TEST_CASE("residual dropout is a plain sum when evaluating or when p is 0", "[model][dropout]") {
    const at::Tensor x = at::randn({8, 16});
    const at::Tensor y = at::randn({8, 16});
    CHECK(at::equal(residual_dropout(x, y, 0.5, false), x + y));
    CHECK(at::equal(residual_dropout(x, y, 0.0, true), x + y));
}

TEST_CASE("fast GELU: LibTorch's values and gradient", "[model][kernels]") {
    at::manual_seed(9);
    const at::Tensor h = (at::randn({4096}) * 3.0).requires_grad_(true);
    const at::Tensor reference_input = h.detach().clone().requires_grad_(true);
    const at::Tensor upstream = at::randn({4096});
    const at::Tensor out = fast_gelu(h);
    const at::Tensor reference = at::gelu(reference_input);
    CHECK((out - reference).abs().max().item<double>() < 1e-5);
    (out * upstream).sum().backward();
    (reference * upstream).sum().backward();
    CHECK((h.grad() - reference_input.grad()).abs().max().item<double>() < 1e-5);
}

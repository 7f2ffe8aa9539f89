// The one-pass Adam/AdamW update and gradient clipping against LibTorch's: same parameters after
// many steps (to float rounding), same state and checkpoint format, and the fallback off float32.
#include <catch.hpp>

#include <ATen/ATen.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/serialize.h>

#include <sstream>

#include "train/fused_adam.h"

using namespace sm4;

namespace {

// Parameters of awkward sizes (not multiples of a vector) and two groups of different options.
std::vector<at::Tensor> make_parameters(at::ScalarType type = at::kFloat) {
    at::manual_seed(11);
    return {at::randn({37, 5}, type).requires_grad_(true), at::randn({3}, type).requires_grad_(true),
            at::randn({64, 128}, type).requires_grad_(true)};
}

// Gradients of a fixed quadratic loss with a noise term, the same for both optimizers.
void set_gradients(std::vector<at::Tensor>& ps, int step) {
    at::manual_seed(100 + step);
    for (auto& p : ps) p.mutable_grad() = (p.detach() * 0.3 + at::randn(p.sizes(), p.options()) * 0.1);
}

template <typename Optimizer, typename Options>
std::vector<at::Tensor> train(std::vector<at::Tensor> ps, double clip, int steps) {
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<at::Tensor>{ps[0], ps[1]}, std::make_unique<Options>(Options(3e-3).weight_decay(0.01)));
    groups.emplace_back(std::vector<at::Tensor>{ps[2]}, std::make_unique<Options>(Options(1e-2).weight_decay(0.0)));
    Optimizer optimizer(std::move(groups), Options(1e-3));
    for (int s = 0; s < steps; ++s) {
        set_gradients(ps, s);
        if (clip > 0) {
            if constexpr (std::is_same_v<Optimizer, torch::optim::AdamW> || std::is_same_v<Optimizer, torch::optim::Adam>)
                torch::nn::utils::clip_grad_norm_(ps, clip);
            else
                clip_gradient_norm(ps, clip);
        }
        optimizer.step();
    }
    std::vector<at::Tensor> out;
    for (const auto& p : ps) out.push_back(p.detach().clone());
    return out;
}

void check_close(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("parameter " << i);
        CHECK((a[i] - b[i]).abs().max().item<double>() < 1e-5);
        CHECK(!a[i].equal(make_parameters()[i].detach()));  // it moved
    }
}

}  // namespace

TEST_CASE("fused AdamW and Adam take LibTorch's steps, with and without clipping", "[train][optimizer]") {
    for (const double clip : {0.0, 0.5}) {
        INFO("clip " << clip);
        check_close(train<FusedAdamW, torch::optim::AdamWOptions>(make_parameters(), clip, 60),
                    train<torch::optim::AdamW, torch::optim::AdamWOptions>(make_parameters(), clip, 60));
        check_close(train<FusedAdam, torch::optim::AdamOptions>(make_parameters(), clip, 60),
                    train<torch::optim::Adam, torch::optim::AdamOptions>(make_parameters(), clip, 60));
    }
}

TEST_CASE("fused AdamW: state saved by LibTorch's AdamW resumes in it and the other way round", "[train][optimizer]") {
    auto ps = make_parameters();
    torch::optim::AdamW plain(ps, torch::optim::AdamWOptions(1e-2));
    set_gradients(ps, 0);
    plain.step();
    std::ostringstream saved;
    torch::save(plain, saved);
    FusedAdamW fused(ps, torch::optim::AdamWOptions(1e-2));
    std::istringstream in(saved.str());
    torch::load(fused, in);
    REQUIRE(fused.state().size() == ps.size());
    const auto before = ps[2].detach().clone();
    set_gradients(ps, 1);
    fused.step();  // the second step: bias corrections of step 2, moments carried over
    const auto& state = static_cast<const torch::optim::AdamWParamState&>(
        *fused.state().at(c10::guts::to_string(ps[2].unsafeGetTensorImpl())));
    CHECK(state.step() == 2);
    CHECK(!ps[2].detach().equal(before));
}

TEST_CASE("clip_gradient_norm returns LibTorch's norm and scales only above the limit", "[train][optimizer]") {
    auto ps = make_parameters();
    set_gradients(ps, 3);
    std::vector<at::Tensor> copies;
    for (const auto& p : ps) {
        copies.push_back(p.detach().clone().requires_grad_(true));
        copies.back().mutable_grad() = p.grad().clone();
    }
    const double expected = torch::nn::utils::clip_grad_norm_(copies, 1e9);
    const auto unchanged = ps[0].grad().clone();
    CHECK(clip_gradient_norm(ps, 1e9) == Approx(expected).epsilon(1e-6));
    CHECK(ps[0].grad().equal(unchanged));
    clip_gradient_norm(ps, 1.0);
    double squares = 0;
    for (const auto& p : ps) squares += p.grad().pow(2).sum().item<double>();
    CHECK(std::sqrt(squares) == Approx(1.0).epsilon(1e-5));
}

TEST_CASE("fused AdamW on double parameters takes LibTorch's own step", "[train][optimizer]") {
    check_close(train<FusedAdamW, torch::optim::AdamWOptions>(make_parameters(at::kDouble), 0.5, 5),
                train<torch::optim::AdamW, torch::optim::AdamWOptions>(make_parameters(at::kDouble), 0.5, 5));
}

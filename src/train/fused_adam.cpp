#include "train/fused_adam.h"

#include <ATen/ATen.h>
#include <c10/util/string_utils.h>
#include <torch/nn/utils/clip_grad.h>

#include <cmath>
#include <memory>

#include "model/kernels/fast_math.h"

namespace sm4 {
namespace {

// One parameter's update, each coefficient rounded to float as LibTorch's scalar arguments are.
struct AdamStep {
    float decay_factor = 1.0f;  // AdamW: 1 - lr * weight_decay, the parameter's decoupled decay
    float l2 = 0.0f;            // Adam: weight_decay, added to the gradient as l2 * p
    float beta1 = 0, one_minus_beta1 = 0, beta2 = 0, one_minus_beta2 = 0;
    float root_correction2 = 1;  // sqrt(1 - beta2^step)
    float eps = 0;
    float negative_step = 0;     // -lr / (1 - beta1^step)
};

// LibTorch's op sequence, per element: p *= decay; g += l2 p; m = m b1 + (1 - b1) g;
// v = v b2 + (1 - b2) g g; p += (-step m) / (sqrt(v) / sqrt(c2) + eps).
SM4_VECTOR_CLONES void adam_update(float* __restrict p, const float* __restrict g, float* __restrict m,
                                   float* __restrict v, std::int64_t n, AdamStep s) {
    for (std::int64_t i = 0; i < n; ++i) {
        const float param = p[i] * s.decay_factor;
        const float grad = g[i] + s.l2 * param;
        const float mean = m[i] * s.beta1 + s.one_minus_beta1 * grad;
        const float square = v[i] * s.beta2 + s.one_minus_beta2 * grad * grad;
        const float denominator = std::sqrt(square) / s.root_correction2 + s.eps;
        m[i] = mean;
        v[i] = square;
        p[i] = param + s.negative_step * mean / denominator;
    }
}

bool fused_apply(const at::Tensor& p) {
    const at::Tensor& g = p.grad();
    return p.device().is_cpu() && p.scalar_type() == at::kFloat && p.is_contiguous() && g.scalar_type() == at::kFloat &&
           g.is_contiguous() && !g.is_sparse() && g.device().is_cpu();
}

// Whether every parameter with a gradient takes the fused pass (else the whole step is LibTorch's).
bool all_fused(const std::vector<torch::optim::OptimizerParamGroup>& groups) {
    for (const auto& group : groups)
        for (const auto& p : group.params())
            if (p.grad().defined() && !fused_apply(p)) return false;
    return true;
}

// The loop both optimizers share. Options: AdamOptions or AdamWOptions; State: their param
// states, created as LibTorch creates them (zeros, step 0) under LibTorch's key.
template <typename Options, typename State, bool Decoupled>
void fused_step(std::vector<torch::optim::OptimizerParamGroup>& groups,
                ska::flat_hash_map<std::string, std::unique_ptr<torch::optim::OptimizerParamState>>& states) {
    const at::NoGradGuard no_grad;
    for (auto& group : groups) {
        const auto& options = static_cast<const Options&>(group.options());
        const double beta1 = std::get<0>(options.betas()), beta2 = std::get<1>(options.betas());
        for (auto& p : group.params()) {
            if (!p.grad().defined()) continue;
            const std::string key = c10::guts::to_string(p.unsafeGetTensorImpl());
            auto found = states.find(key);
            if (found == states.end()) {
                auto state = std::make_unique<State>();
                state->step(0);
                state->exp_avg(at::zeros_like(p, at::MemoryFormat::Preserve));
                state->exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
                found = states.emplace(key, std::move(state)).first;
            }
            auto& state = static_cast<State&>(*found->second);
            state.step(state.step() + 1);
            const double correction1 = 1 - std::pow(beta1, state.step());
            const double correction2 = 1 - std::pow(beta2, state.step());
            AdamStep s;
            if (Decoupled) s.decay_factor = static_cast<float>(1 - options.lr() * options.weight_decay());
            else s.l2 = static_cast<float>(options.weight_decay());
            s.beta1 = static_cast<float>(beta1);
            s.one_minus_beta1 = static_cast<float>(1 - beta1);
            s.beta2 = static_cast<float>(beta2);
            s.one_minus_beta2 = static_cast<float>(1 - beta2);
            s.root_correction2 = static_cast<float>(std::sqrt(correction2));
            s.eps = static_cast<float>(options.eps());
            s.negative_step = static_cast<float>(-options.lr() / correction1);
            adam_update(p.data_ptr<float>(), p.grad().data_ptr<float>(), state.exp_avg().template data_ptr<float>(),
                        state.exp_avg_sq().template data_ptr<float>(), p.numel(), s);
        }
    }
}

// The closure as LibTorch's step runs it: with gradients on, before the update.
at::Tensor run_closure(const torch::optim::Optimizer::LossClosure& closure) {
    if (closure == nullptr) return {};
    const at::AutoGradMode enable_grad(true);
    return closure();
}

SM4_VECTOR_CLONES double sum_of_squares(const float* __restrict g, std::int64_t n) {
    double total = 0.0;
    for (std::int64_t start = 0; start < n; start += 1024) {  // float partial sums of 1024 elements
        const std::int64_t end = std::min(n, start + 1024);
        float part = 0.0f;
        for (std::int64_t i = start; i < end; ++i) part += g[i] * g[i];
        total += part;
    }
    return total;
}

SM4_VECTOR_CLONES void scale(float* __restrict g, std::int64_t n, float factor) {
    for (std::int64_t i = 0; i < n; ++i) g[i] *= factor;
}

}  // namespace

at::Tensor FusedAdamW::step(LossClosure closure) {
    if (!all_fused(param_groups_)) return torch::optim::AdamW::step(closure);
    for (const auto& group : param_groups_)
        if (static_cast<const torch::optim::AdamWOptions&>(group.options()).amsgrad()) return torch::optim::AdamW::step(closure);
    at::Tensor loss = run_closure(closure);
    fused_step<torch::optim::AdamWOptions, torch::optim::AdamWParamState, true>(param_groups_, state_);
    return loss;
}

at::Tensor FusedAdam::step(LossClosure closure) {
    if (!all_fused(param_groups_)) return torch::optim::Adam::step(closure);
    for (const auto& group : param_groups_)
        if (static_cast<const torch::optim::AdamOptions&>(group.options()).amsgrad()) return torch::optim::Adam::step(closure);
    at::Tensor loss = run_closure(closure);
    fused_step<torch::optim::AdamOptions, torch::optim::AdamParamState, false>(param_groups_, state_);
    return loss;
}

double clip_gradient_norm(const std::vector<at::Tensor>& parameters, double max_norm) {
    std::vector<at::Tensor> gradients;
    for (const auto& p : parameters)
        if (p.grad().defined()) {
            if (!fused_apply(p)) return torch::nn::utils::clip_grad_norm_(parameters, max_norm);
            gradients.push_back(p.grad());
        }
    double squares = 0.0;
    for (const auto& g : gradients) squares += sum_of_squares(g.data_ptr<float>(), g.numel());
    const double norm = std::sqrt(squares);
    const double factor = max_norm / (norm + 1e-6);
    if (factor < 1.0)
        for (auto& g : gradients) scale(g.data_ptr<float>(), g.numel(), static_cast<float>(factor));
    return norm;
}

}  // namespace sm4

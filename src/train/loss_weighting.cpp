#include "train/loss_weighting.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>

namespace sm4 {

at::Tensor uncertainty_weighted(const std::vector<at::Tensor>& losses, const at::Tensor& log_variance) {
    at::Tensor total = at::zeros({}, log_variance.options());
    for (std::size_t t = 0; t < losses.size(); ++t) {
        if (!losses[t].defined()) continue;
        const at::Tensor s = log_variance[static_cast<std::int64_t>(t)];
        total = total + at::exp(-s) * losses[t] + s;
    }
    return total;
}

std::vector<double> dwa_weights(const std::vector<double>& previous, const std::vector<double>& before_previous,
                                double temperature) {
    const std::size_t tasks = previous.size();
    if (before_previous.size() != tasks || tasks == 0) return std::vector<double>(tasks, 1.0);
    std::vector<double> e(tasks);
    double sum = 0.0;
    for (std::size_t t = 0; t < tasks; ++t) {
        e[t] = std::exp(previous[t] / before_previous[t] / temperature);
        sum += e[t];
    }
    for (auto& w : e) w = static_cast<double>(tasks) * w / sum;
    return e;
}

at::Tensor gradnorm_loss(const at::Tensor& weights, const at::Tensor& grad_norms, const at::Tensor& loss_ratios,
                         double alpha) {
    const at::Tensor g = weights * grad_norms.detach();
    const at::Tensor relative = loss_ratios.detach() / loss_ratios.detach().mean();
    const at::Tensor target = (g.mean() * relative.pow(alpha)).detach();
    return (g - target).abs().sum();
}

namespace {

// sum_t w_t * L_t over the tasks drawn this step.
at::Tensor weighted_sum(const std::vector<at::Tensor>& losses, const std::vector<double>& weights) {
    at::Tensor total;
    for (std::size_t t = 0; t < losses.size(); ++t)
        if (losses[t].defined()) total = total.defined() ? total + weights[t] * losses[t] : weights[t] * losses[t];
    return total;
}

class FixedWeighting : public LossWeightingImpl {
public:
    explicit FixedWeighting(std::vector<double> w) : weights_(std::move(w)) {}
    at::Tensor combine(const std::vector<at::Tensor>& losses) override { return weighted_sum(losses, weights_); }
    std::vector<double> weights() const override { return weights_; }

private:
    std::vector<double> weights_;
};

class UncertaintyWeighting : public LossWeightingImpl {
public:
    explicit UncertaintyWeighting(std::size_t tasks) {
        log_variance = register_parameter("log_variance", at::zeros({static_cast<std::int64_t>(tasks)}));
    }
    at::Tensor combine(const std::vector<at::Tensor>& losses) override { return uncertainty_weighted(losses, log_variance); }
    std::vector<double> weights() const override {
        const at::Tensor w = at::exp(-log_variance.detach()).to(at::kDouble).contiguous();
        return {w.data_ptr<double>(), w.data_ptr<double>() + w.numel()};
    }
    at::Tensor log_variance;
};

class DwaWeighting : public LossWeightingImpl {
public:
    DwaWeighting(std::size_t tasks, double temperature) : temperature_(temperature) {
        // Mean losses of the last two epochs; zeros until known (saved with checkpoints).
        history = register_buffer("history", at::zeros({2, static_cast<std::int64_t>(tasks)}, at::kDouble));
        epochs = register_buffer("epochs", at::zeros({}, at::kLong));
        sums = register_buffer("sums", at::zeros({static_cast<std::int64_t>(tasks)}, at::kDouble));
        counts = register_buffer("counts", at::zeros({static_cast<std::int64_t>(tasks)}, at::kDouble));
    }
    at::Tensor combine(const std::vector<at::Tensor>& losses) override { return weighted_sum(losses, weights()); }
    void record(const std::vector<double>& losses) override {
        for (std::size_t t = 0; t < losses.size(); ++t) {
            if (std::isnan(losses[t])) continue;
            sums[static_cast<std::int64_t>(t)] += losses[t];
            counts[static_cast<std::int64_t>(t)] += 1.0;
        }
    }
    void end_epoch() override {
        history[0].copy_(history[1]);
        history[1].copy_(sums / counts.clamp_min(1.0));
        sums.zero_();
        counts.zero_();
        epochs += 1;
    }
    std::vector<double> weights() const override {
        const auto tasks = static_cast<std::size_t>(history.size(1));
        if (epochs.item<std::int64_t>() < 2) return std::vector<double>(tasks, 1.0);
        const at::Tensor h = history.contiguous();
        const double* p = h.data_ptr<double>();
        return dwa_weights({p + tasks, p + 2 * tasks}, {p, p + tasks}, temperature_);
    }
    at::Tensor history, epochs, sums, counts;

private:
    double temperature_;
};

class GradNormWeighting : public LossWeightingImpl {
public:
    GradNormWeighting(std::size_t tasks, std::vector<at::Tensor> shared, double alpha)
        : shared_(std::move(shared)), alpha_(alpha) {
        task_weights = register_parameter("task_weights", at::ones({static_cast<std::int64_t>(tasks)}));
        initial_losses = register_buffer("initial_losses", at::zeros({static_cast<std::int64_t>(tasks)}));
    }
    at::Tensor combine(const std::vector<at::Tensor>& losses) override {
        std::vector<std::int64_t> drawn;
        std::vector<at::Tensor> norms, current;
        at::Tensor model_loss;
        for (std::size_t t = 0; t < losses.size(); ++t) {
            if (!losses[t].defined()) continue;
            const auto i = static_cast<std::int64_t>(t);
            if (initial_losses[i].item<float>() == 0.0f) {
                torch::NoGradGuard no_grad;
                initial_losses[i].fill_(losses[t].item<float>());
            }
            const auto grads = torch::autograd::grad({losses[t]}, shared_, {}, /*retain_graph=*/true, false, true);
            at::Tensor squared = at::zeros({}, losses[t].options());
            for (const auto& g : grads)
                if (g.defined()) squared = squared + g.pow(2).sum();
            drawn.push_back(i);
            norms.push_back(squared.sqrt());
            current.push_back(losses[t].detach() / initial_losses[i]);
            const at::Tensor term = task_weights[i].detach() * losses[t];
            model_loss = model_loss.defined() ? model_loss + term : term;
        }
        if (drawn.size() < 2) return model_loss;  // one task: nothing to balance
        const at::Tensor index = at::tensor(drawn, at::kLong);
        return model_loss + gradnorm_loss(task_weights.index_select(0, index), at::stack(norms), at::stack(current), alpha_);
    }
    void after_step() override {
        torch::NoGradGuard no_grad;
        task_weights.clamp_min_(1e-3);
        task_weights.mul_(static_cast<double>(task_weights.numel()) / task_weights.sum());
    }
    std::vector<double> weights() const override {
        const at::Tensor w = task_weights.detach().to(at::kDouble).contiguous();
        return {w.data_ptr<double>(), w.data_ptr<double>() + w.numel()};
    }
    at::Tensor task_weights, initial_losses;

private:
    std::vector<at::Tensor> shared_;
    double alpha_;
};

}  // namespace

std::shared_ptr<LossWeightingImpl> make_loss_weighting(const TrainConfig& c, std::size_t tasks,
                                                       std::vector<at::Tensor> shared) {
    if (c.loss_weighting == LossWeighting::Uncertainty) return std::make_shared<UncertaintyWeighting>(tasks);
    if (c.loss_weighting == LossWeighting::Dwa) return std::make_shared<DwaWeighting>(tasks, c.dwa_temperature);
    if (c.loss_weighting == LossWeighting::GradNorm) return std::make_shared<GradNormWeighting>(tasks, std::move(shared), c.gradnorm_alpha);
    if (c.loss_weighting == LossWeighting::Equal || c.task_weights.empty()) return std::make_shared<FixedWeighting>(std::vector<double>(tasks, 1.0));
    return std::make_shared<FixedWeighting>(c.task_weights);
}

}  // namespace sm4

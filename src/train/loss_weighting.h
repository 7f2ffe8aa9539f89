// How the task losses of a step combine into the loss that is back-propagated: fixed weights
// (HighMMT's; all 1 by default), equal, uncertainty weighting (Kendall et al. 2018), dynamic
// weight average (DWA, Liu et al. 2019) or GradNorm (Chen et al. 2018). A Module, so learnable
// weights and loss histories are saved in checkpoints with the model.
#pragma once

#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

#include "core/config.h"

namespace sm4 {

class LossWeightingImpl : public torch::nn::Module {
public:
    // losses: one per task, undefined for tasks the step did not draw. Returns the total.
    virtual at::Tensor combine(const std::vector<at::Tensor>& losses) = 0;
    // Called after each step with the task losses (NaN for tasks not drawn) and when an epoch
    // ends (DWA keeps per-epoch means in buffers, so they survive a checkpoint).
    virtual void record(const std::vector<double>& losses) { (void)losses; }
    virtual void end_epoch() {}
    // Called after the optimiser step (GradNorm renormalises its weights).
    virtual void after_step() {}
    virtual std::vector<double> weights() const = 0;  // current effective weights, for the trace
};

// shared: the parameters GradNorm measures gradient norms on (the last shared block).
std::shared_ptr<LossWeightingImpl> make_loss_weighting(const TrainConfig& config, std::size_t tasks,
                                                       std::vector<at::Tensor> shared);

// Kendall et al.'s simplified form: sum_t exp(-s_t) * L_t + s_t, with s_t = log sigma_t^2.
at::Tensor uncertainty_weighted(const std::vector<at::Tensor>& losses, const at::Tensor& log_variance);

// DWA: w_t = T * softmax_t(r_t / temperature), r_t = L_t(e-1) / L_t(e-2); all 1 until two
// epochs have ended.
std::vector<double> dwa_weights(const std::vector<double>& previous, const std::vector<double>& before_previous,
                                double temperature);

// GradNorm's loss: sum_t |G_t - mean(G) * r_t^alpha|, G_t = w_t * ||grad_W L_t|| (differentiable in
// w), r_t = (L_t / L_t(0)) / mean over tasks; the targets are constants.
at::Tensor gradnorm_loss(const at::Tensor& weights, const at::Tensor& grad_norms, const at::Tensor& loss_ratios,
                         double alpha);

}  // namespace sm4

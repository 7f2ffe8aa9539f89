#include "train/epoch_policies.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

#include "core/errors.h"
#include "core/text.h"
#include "train/modality_losses.h"

namespace sm4 {

EpochPolicies::EpochPolicies(const Config& config, MultitaskModel& model, const std::vector<TaskData>& tasks)
    : config_(config), slots_(model->slot_names()) {
    if (config.aea.enabled)
        for (const auto& t : tasks)
            if (t.val.size() == 0)
                throw ConfigError(fmt::format("aea.enabled: {} holds no validation split, and AEA moves each modality's k "
                                              "from its validation loss; preprocess it with data.val_fraction > 0 or set "
                                              "aea.enabled = false",
                                              t.file.string()));
    const std::int64_t cap = config.aea.max_k > 0 ? config.aea.max_k : config.model.num_experts;
    allocation = ExpertAllocation(model->modality_top_k(), config.aea, cap);
    pace = LearningPace(slots_.size(), config.pace);
    std::size_t slot = 0;
    for (const auto& t : tasks) {
        task_slots_.emplace_back();
        for (std::size_t m = 0; m < t.spec.modalities.size(); ++m) task_slots_.back().push_back(slot++);
    }
    if (records()) train_rows_ = training_subset(tasks, config.aea.train_examples, static_cast<std::uint64_t>(config.train.seed));
}

bool EpochPolicies::records() const { return config_.aea.enabled || config_.pace.enabled || config_.train.modality_records; }

void EpochPolicies::apply(MultitaskModel& model) const {
    if (config_.aea.enabled) model->set_modality_top_k(allocation->top_k());
    const bool gradient = config_.pace.enabled && config_.pace.mechanism == PaceMechanism::Gradient;
    model->set_pace_weights(gradient ? pace->weights() : std::vector<double>{});
}

double EpochPolicies::task_loss_factor(std::size_t task) const {
    if (!config_.pace.enabled || config_.pace.mechanism != PaceMechanism::Loss) return 1.0;
    const auto w = pace->weights();
    double sum = 0.0;
    for (auto j : task_slots_[task]) sum += w[j];
    return sum / static_cast<double>(task_slots_[task].size());
}

std::vector<double> EpochPolicies::weights() const { return config_.pace.enabled ? pace->weights() : std::vector<double>(slots_.size(), 1.0); }

EpochOutcome EpochPolicies::after_epoch(MultitaskModel& model, const std::vector<TaskData>& tasks,
                                        const std::vector<double>& val_losses, const std::vector<bool>& active,
                                        const std::vector<double>& entropy, std::int64_t epoch, std::int64_t step,
                                        const at::Device& device, ProcessGroup* group) {
    EpochOutcome out;
    if (!records()) return out;
    const auto batch = config_.eval.batch_size;
    const std::vector<double> val = slot_losses(model, tasks, Split::Val, {}, config_.aea.modality_loss, active, batch, device, group, val_losses);
    const std::vector<double> train =
        slot_losses(model, tasks, Split::Train, train_rows_, config_.aea.modality_loss, active, batch, device, group);
    // H in nats unless normalised: the accumulators hold entropy / log(experts).
    const double scale = config_.pace.entropy == PaceEntropy::Nats ? std::log(static_cast<double>(config_.model.num_experts)) : 1.0;
    std::vector<double> h(entropy.size());
    for (std::size_t j = 0; j < entropy.size(); ++j) h[j] = entropy[j] * scale;

    const std::vector<std::int64_t> k_before = model->modality_top_k();
    const std::vector<double> w_before = weights();
    for (std::size_t t = 0; t < task_slots_.size(); ++t)
        for (auto j : task_slots_[t])
            if (active[t] && config_.aea.enabled && !std::isfinite(val[j])) out.diverged = slots_[j];
    if (out.diverged) return out;
    if (config_.aea.enabled) allocation->after_epoch(val);
    if (config_.pace.enabled) pace->after_epoch(h);
    apply(model);

    const std::vector<bool> frozen = allocation->frozen();
    const std::vector<std::int64_t> k_after = model->modality_top_k();
    for (std::size_t j = 0; j < slots_.size(); ++j)
        out.rows.push_back({0, epoch, step, slots_[j], k_before[j], val[j], train[j], h[j], w_before[j],
                            config_.aea.enabled && frozen[j]});
    if (config_.aea.enabled) {
        std::vector<std::string> moves;
        for (std::size_t j = 0; j < slots_.size(); ++j)
            if (k_after[j] != k_before[j])
                moves.push_back(fmt::format("{} {} -> {}{}", slots_[j], k_before[j], k_after[j], frozen[j] ? " (frozen)" : ""));
        if (!moves.empty()) out.changes.push_back("AEA: " + join(moves, ", "));
    }
    if (config_.pace.enabled) {
        std::vector<std::string> parts;
        const auto w = weights();
        for (std::size_t j = 0; j < slots_.size(); ++j) parts.push_back(fmt::format("{} {:.5f}", slots_[j], w[j]));
        out.changes.push_back("ALP weights: " + join(parts, ", "));
    }
    return out;
}

}  // namespace sm4

#include "train/run_trace.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/errors.h"

namespace sm4 {
namespace {

std::vector<std::string> expert_names(std::size_t experts) {
    std::vector<std::string> names;
    for (std::size_t e = 0; e < experts; ++e) names.push_back("expert" + std::to_string(e));
    return names;
}

}  // namespace

RunTrace::RunTrace(const std::optional<std::filesystem::path>& path, MultitaskModel& model, std::vector<std::string> tasks,
                   const std::vector<std::string>& pace_groups, ResultsDb* db, std::int64_t run_id,
                   std::optional<std::int64_t> resume_after_step)
    : model_(model), tasks_(std::move(tasks)), db_(db), run_id_(run_id), loss_sum_(tasks_.size()),
      loss_count_(tasks_.size()) {
    const auto layer_names = model->routing_layer_names();
    layers_ = layer_names.size();
    slots_ = model->slot_names().size();
    experts_ = static_cast<std::size_t>(model->experts_per_layer());
    std::vector<TraceSeries> series;
    if (layers_ > 0) {
        series.push_back({"routing/entropy", {static_cast<std::int64_t>(layers_), static_cast<std::int64_t>(slots_)}});
        series.push_back({"routing/load", {static_cast<std::int64_t>(layers_), static_cast<std::int64_t>(experts_)}});
    }
    for (const auto& t : tasks_) series.push_back({"loss/" + t, {}});
    series.push_back({"loss/total", {}});
    series.push_back({"loss/weight", {static_cast<std::int64_t>(tasks_.size())}});
    series.push_back({"lr", {}});
    series.push_back({"pace/weight", {static_cast<std::int64_t>(pace_groups.size())}});
    if (path)
        writer_ = std::make_unique<TraceWriter>(
            *path, series,
            std::map<std::string, std::vector<std::string>>{{"layers", layer_names},
                                                            {"modalities", model->slot_names()},
                                                            {"experts", expert_names(experts_)},
                                                            {"tasks", tasks_},
                                                            {"pace_groups", pace_groups}},
            resume_after_step);
    for (auto* stats : model_->routing_statistics()) stats->reset(static_cast<std::int64_t>(slots_), stats->load.size(0));
    epoch_entropy_.assign(slots_, 0.0);
    epoch_tokens_.assign(slots_, 0.0);
}

std::vector<double> RunTrace::take_epoch_entropy() {
    std::vector<double> mean(slots_, std::nan(""));
    for (std::size_t j = 0; j < slots_; ++j)
        if (epoch_tokens_[j] > 0) mean[j] = epoch_entropy_[j] / epoch_tokens_[j];
    epoch_entropy_.assign(slots_, 0.0);
    epoch_tokens_.assign(slots_, 0.0);
    return mean;
}

void RunTrace::record_step(const std::vector<double>& task_losses, double total_loss, double lr,
                           const std::vector<double>& weights, const std::vector<double>& pace) {
    weights_ = weights;
    pace_ = pace;
    for (std::size_t t = 0; t < task_losses.size(); ++t) {
        if (std::isnan(task_losses[t])) continue;
        loss_sum_[t] += task_losses[t];
        ++loss_count_[t];
    }
    total_sum_ += total_loss;
    last_total_ = total_loss;
    lr_ = lr;
    ++steps_;
}

std::vector<double> RunTrace::log(std::int64_t step, std::int64_t epoch) {
    if (steps_ == 0) return {};
    std::vector<double> slot_entropy;
    std::vector<std::vector<float>> row;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    if (layers_ > 0) {
        std::vector<float> entropy, load;
        std::vector<double> sum(slots_, 0.0), layers(slots_, 0.0);
        for (auto* stats : model_->routing_statistics()) {
            const at::Tensor mean = stats->entropy_sum / stats->token_count.clamp_min(1);
            for (std::size_t j = 0; j < slots_; ++j) {
                epoch_entropy_[j] += stats->entropy_sum[j].item<double>();
                epoch_tokens_[j] += stats->token_count[j].item<double>();
                const bool any = stats->token_count[j].item<double>() > 0;
                entropy.push_back(any ? mean[j].item<float>() : nan);
                if (any) sum[j] += mean[j].item<double>(), layers[j] += 1.0;
            }
            const double assigned = stats->load.sum().item<double>();
            for (std::size_t e = 0; e < experts_; ++e)
                load.push_back(e < static_cast<std::size_t>(stats->load.size(0)) && assigned > 0
                                   ? static_cast<float>(stats->load[e].item<double>() / assigned)
                                   : 0.0f);
            stats->reset(static_cast<std::int64_t>(slots_), stats->load.size(0));
        }
        row.push_back(std::move(entropy));
        row.push_back(std::move(load));
        for (std::size_t j = 0; j < slots_; ++j) slot_entropy.push_back(layers[j] > 0 ? sum[j] / layers[j] : std::nan(""));
    }
    std::vector<MetricRecord> metrics;
    for (std::size_t t = 0; t < tasks_.size(); ++t) {
        const double mean = loss_count_[t] ? loss_sum_[t] / loss_count_[t] : std::nan("");
        row.push_back({static_cast<float>(mean)});
        if (loss_count_[t]) metrics.push_back({run_id_, step, epoch, "train", tasks_[t], "loss", mean, "train"});
        loss_sum_[t] = 0.0;
        loss_count_[t] = 0;
    }
    const double total = total_sum_ / static_cast<double>(steps_);
    row.push_back({static_cast<float>(total)});
    row.push_back(std::vector<float>(weights_.begin(), weights_.end()));
    row.push_back({static_cast<float>(lr_)});
    row.push_back(std::vector<float>(pace_.begin(), pace_.end()));
    metrics.push_back({run_id_, step, epoch, "train", "all", "total_loss", total, "train"});
    metrics.push_back({run_id_, step, epoch, "train", "all", "lr", lr_, "train"});
    if (writer_) writer_->append(step, row);
    if (db_) db_->add_metrics(metrics);
    total_sum_ = 0.0;
    steps_ = 0;
    return slot_entropy;
}

namespace {

at::Tensor doubles(const std::vector<double>& v) { return at::tensor(v, at::kDouble); }

std::vector<double> to_doubles(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kCPU, at::kDouble).contiguous();
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

}  // namespace

std::vector<at::Tensor> RunTrace::window_state() const {
    std::vector<at::Tensor> state;
    state.push_back(doubles(loss_sum_));
    state.push_back(at::tensor(loss_count_, at::kLong));
    state.push_back(doubles({total_sum_, last_total_, lr_, static_cast<double>(steps_)}));
    state.push_back(doubles(weights_));
    state.push_back(doubles(pace_));
    state.push_back(doubles(epoch_entropy_));
    state.push_back(doubles(epoch_tokens_));
    for (auto* stats : model_->routing_statistics()) {
        state.push_back(stats->entropy_sum.to(at::kCPU).clone());
        state.push_back(stats->token_count.to(at::kCPU).clone());
        state.push_back(stats->load.to(at::kCPU).clone());
        state.push_back(at::tensor(std::vector<std::int64_t>{stats->dropped}, at::kLong));
    }
    return state;
}

void RunTrace::restore_window(const std::vector<at::Tensor>& state, bool with_routing) {
    if (state.empty()) return;
    const auto accumulators = model_->routing_statistics();
    if (state.size() != 7 + 4 * accumulators.size() || state[0].numel() != static_cast<std::int64_t>(tasks_.size()) ||
        state[1].numel() != static_cast<std::int64_t>(tasks_.size()) || state[2].numel() != 4)
        throw IoError(fmt::format("the checkpoint's logging window ({} tensors) does not fit this run's {} tasks and {} "
                                  "routing layers",
                                  state.size(), tasks_.size(), accumulators.size()));
    loss_sum_ = to_doubles(state[0]);
    const at::Tensor counts = state[1].to(at::kLong).contiguous();
    loss_count_.assign(counts.data_ptr<std::int64_t>(), counts.data_ptr<std::int64_t>() + counts.numel());
    const std::vector<double> scalars = to_doubles(state[2]);
    total_sum_ = scalars[0];
    last_total_ = scalars[1];
    lr_ = scalars[2];
    steps_ = static_cast<std::int64_t>(scalars[3]);
    weights_ = to_doubles(state[3]);
    pace_ = to_doubles(state[4]);
    if (!with_routing) return;
    epoch_entropy_ = to_doubles(state[5]);
    epoch_tokens_ = to_doubles(state[6]);
    for (std::size_t a = 0; a < accumulators.size(); ++a) {
        RoutingAccumulator& stats = *accumulators[a];
        const at::Tensor* saved = &state[7 + 4 * a];
        if (saved[0].numel() != stats.entropy_sum.numel() || saved[2].numel() != stats.load.numel())
            throw IoError(fmt::format("the checkpoint's logging window has routing sums for {} slots and {} experts "
                                      "where routing layer {} has {} and {}",
                                      saved[0].numel(), saved[2].numel(), a, stats.entropy_sum.numel(), stats.load.numel()));
        stats.entropy_sum = saved[0].to(at::kDouble).clone();  // follow() moves them to the routing's device
        stats.token_count = saved[1].to(at::kDouble).clone();
        stats.load = saved[2].to(at::kDouble).clone();
        stats.dropped = saved[3].item<std::int64_t>();
    }
}

}  // namespace sm4

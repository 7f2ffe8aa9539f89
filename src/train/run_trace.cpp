#include "train/run_trace.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

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
    series.push_back({"pace/multiplier", {static_cast<std::int64_t>(pace_groups.size())}});
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

}  // namespace sm4

// What a training run logs as it goes: every train.log_every steps (and at each epoch's end) one
// row of routing entropy per layer and modality, expert load per layer, mean task losses and
// the learning rate and ALP's weights into trace.h5, and the losses into the results database.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/results_db.h"
#include "io/trace_file.h"
#include "model/multitask_model.h"

namespace sm4 {

class RunTrace {
public:
    // resume_after_step: reopen an existing trace and drop rows logged after that step.
    // pace_groups: the modality groups ALP paces (named in the trace's pace_groups attribute).
    // path and db empty: the trace of a data-parallel rank other than 0, which computes what rank
    // 0 writes (the entropy ALP reads) and writes nothing.
    RunTrace(const std::optional<std::filesystem::path>& path, MultitaskModel& model, std::vector<std::string> tasks,
             const std::vector<std::string>& pace_groups, ResultsDb* db, std::int64_t run_id,
             std::optional<std::int64_t> resume_after_step);

    // task_losses: NaN for tasks the step did not draw; weights: the loss weighting's current ones.
    void record_step(const std::vector<double>& task_losses, double total_loss, double lr,
                     const std::vector<double>& weights, const std::vector<double>& pace);
    // Writes the window's row; returns each modality slot's mean routing entropy over the
    // routing layers (NaN without tokens; empty without routing). Nothing when no step was
    // recorded since the last call.
    std::vector<double> log(std::int64_t step, std::int64_t epoch);
    void flush() {
        if (writer_) writer_->flush();
    }
    double last_total_loss() const { return last_total_; }
    // Each slot's routing entropy (normalised by log(experts)) over the windows logged since the
    // last call, token-weighted over every routed group (NaN: no routed token); then starts over.
    std::vector<double> take_epoch_entropy();

    // The open window's sums (task losses, steps, rate, routing statistics), so a checkpoint
    // taken mid window (Ctrl-C) resumes to the row a run never stopped writes.
    std::vector<at::Tensor> window_state() const;
    // Restores window_state()'s tensors (none: an empty window). with_routing false leaves the
    // routing sums at zero (a data-parallel rank other than 0: rank 0's sums are the group's).
    // IoError when they do not fit this run's tasks and layers.
    void restore_window(const std::vector<at::Tensor>& state, bool with_routing);

private:
    MultitaskModel& model_;
    std::vector<std::string> tasks_;
    ResultsDb* db_;
    std::int64_t run_id_;
    std::unique_ptr<TraceWriter> writer_;
    std::size_t layers_ = 0, slots_ = 0, experts_ = 0;
    std::vector<double> loss_sum_;
    std::vector<std::int64_t> loss_count_;
    double total_sum_ = 0.0, last_total_ = 0.0, lr_ = 0.0;
    std::vector<double> weights_, pace_;
    std::vector<double> epoch_entropy_, epoch_tokens_;  // per slot, since take_epoch_entropy()
    std::int64_t steps_ = 0;
};

}  // namespace sm4

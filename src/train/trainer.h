// `sm4 train`: the multitask training loop with model selection on the validation split,
// a checkpoint every epoch, the run recorded in the results database and its routing dynamics
// in results/runs/<id>/trace.h5; and resuming a stopped run exactly where its checkpoint is.
// It reports as it goes to the process's observer (core/events.h): the run's start, every step,
// every epoch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/config_loader.h"
#include "train/evaluate.h"

namespace sm4 {

struct TrainRequest {
    ResolvedConfig config;
    std::string experiment;                 // the config files, as the user gave them
    std::optional<std::int64_t> resume_run; // continue this run (of config.output.database) from its checkpoint
    std::string sweep, variant, config_hash; // recorded in the run's row (set by `sm4 sweep`)
};

struct TrainResult {
    std::int64_t run_id = 0;
    std::filesystem::path run_dir;
    std::vector<TaskEvaluation> test;       // the best checkpoint on the test split
    std::int64_t best_epoch = 0;
    double seconds = 0.0;                   // the whole command
    // Data-parallel runs: this process's rank, the group, and what its all-reduces cost.
    int rank = 0, world_size = 1;
    std::string backend;
    double reduce_seconds = 0.0;
    std::int64_t reduced_bytes = 0, steps = 0;
    std::int64_t agreement_checks = 0;  // epochs at which every rank's parameters and pace matched rank 0's
};

// Throws TrainingError (NaN loss: the run is marked failed), InterruptedError (Ctrl-C: a
// checkpoint is written and the run marked interrupted), or the errors of loading.
// When the environment names a data-parallel group (torchrun's RANK and WORLD_SIZE, Slurm's
// SLURM_PROCID and SLURM_NTASKS: core/launch_env.h), this process trains as one of its ranks
// (README, "Data-parallel training"); DistributedError when a rank is lost.
TrainResult train_model(const TrainRequest& request);

}  // namespace sm4

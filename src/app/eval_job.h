// `sm4 eval`: scores a finished run's best checkpoint (or any checkpoint file) on a split and
// records the result in the results database.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/json.h"
#include "train/evaluate.h"

namespace sm4 {

struct EvalRequest {
    std::optional<std::int64_t> run;      // a run in the database: its best checkpoint
    std::filesystem::path checkpoint;     // or a checkpoint file (its stored config is used)
    Split split = Split::Test;
    std::string database = kDefaultDatabase;
    std::int64_t threads = 0;             // 0: the stored config's train.threads
};

struct EvalResult {
    std::optional<std::int64_t> run;
    std::filesystem::path checkpoint;
    Split split = Split::Test;
    std::int64_t epoch = 0;
    std::vector<TaskEvaluation> evaluations;
};

// Metrics are written to the database (source "eval") when the checkpoint belongs to a run.
EvalResult evaluate_checkpoint(const EvalRequest& request);

// {"run": 3, "checkpoint": "...", "split": "test", "epoch": 2, "tasks": {"wine": {"type": ...,
// "loss": ..., "accuracy": ...}}}
Json evaluation_json(const EvalResult& result);

}  // namespace sm4

// `sm4 eval`: scores a finished run's best checkpoint (or any checkpoint file) on a split and
// records the result in the results database.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "train/evaluate.h"

namespace sm4 {

struct EvalRequest {
    std::optional<std::int64_t> run;      // a run in the database: its best checkpoint
    std::filesystem::path checkpoint;     // or a checkpoint file (its stored config is used)
    std::string split = "test";
    std::string database = "results/sm4.db";
    std::int64_t threads = 0;
};

struct EvalResult {
    std::optional<std::int64_t> run;
    std::filesystem::path checkpoint;
    std::string split;
    std::int64_t epoch = 0;
    std::vector<TaskEvaluation> evaluations;
};

// Metrics are written to the database (source "eval") when the checkpoint belongs to a run.
EvalResult evaluate_checkpoint(const EvalRequest& request);

// {"run": 3, "split": "test", "checkpoint": "...", "tasks": {"wine": {"loss": ..., ...}}}
std::string evaluation_json(const EvalResult& result);

}  // namespace sm4

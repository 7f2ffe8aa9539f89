// Where SM4's computation reduction over HighMMT comes from (`sm4 report --flops-sources`): per
// task of an experiment, the analytic FLOPs per sample of four models, each one change from the
// one before:
//   highmmt             HighMMT as the experiment's [method.highmmt] table builds it
//   highmmt-sm4-tokens  the same with SM4's token cuts (the experiment's own model.token_rules)
//   sm4-dense           SM4 with every expert active (k = E in every group)
//   sm4                 SM4 at the experiment's model.modality_top_k (the paper's k = 1)
// so the step highmmt -> highmmt-sm4-tokens is tokenisation, highmmt-sm4-tokens -> sm4-dense the
// network (encoder latents, layers, heads), sm4-dense -> sm4 sparsity. Shapes come from the task
// files, or for MultiBench tasks without files the shapes their converters write (no data needed).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/table.h"
#include "report/published_results.h"
#include "report/report_scores.h"

namespace sm4 {

struct FlopsSourceRow {
    std::string task, model;
    double params = 0, flops = 0;  // whole model's parameters; FLOPs per sample of the task
};

// The four rows per task of `experiment` (a path), in data.tasks order.
std::vector<FlopsSourceRow> flops_sources(const std::filesystem::path& experiment);

// The model rows' method names in a results database (for the accuracy column): highmmt,
// highmmt-sm4-tokens, none, sm4.
std::string flops_source_method(const std::string& model);

// The table of several experiments: experiment, task, model, params, GFLOPs, % of HighMMT's, the
// change from the row above; the paper's reduction (Table 9) on each task's sm4 row when
// `published` has the experiment's group; the test metric of the row's method when `scores`
// holds it (mean over seeds, '-' otherwise).
Table flops_sources_table(const std::vector<std::pair<std::string, std::vector<FlopsSourceRow>>>& experiments,
                          const PublishedResults* published, const ScoreSet* scores);

}  // namespace sm4

// The rows of parameter and FLOP accounting: what one sample of a task costs in one component of
// one model, attributed to one modality. The model layer makes them (analytic and measured),
// the results database stores them (table flops), `sm4 flops` and `sm4 report` read them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sm4 {

// Component names, as stored in flops.component.
inline constexpr const char* kTokenizer = "tokenizer";    // design 1's tokenizers (old rows)
inline constexpr const char* kEncoder = "encoder";        // the unimodal encoder (every backbone but highmmt)
inline constexpr const char* kSmoa = "smoa";              // SMoA: query, key, value experts, scores, output
inline constexpr const char* kSmoe = "smoe";              // SMoE: the feed-forward experts
inline constexpr const char* kAttention = "attention";
inline constexpr const char* kFeedForward = "feed_forward";
inline constexpr const char* kExperts = "experts";        // design 1's feed-forward experts (old rows)
inline constexpr const char* kRouter = "router";
inline constexpr const char* kHead = "head";
inline constexpr const char* kCrossModal = "cross_modal";  // highmmt: the pair stage's projections and feed-forwards
inline constexpr const char* kTotal = "total";

// Rows with task "" and component "total" hold whole-model counts.
struct FlopsRecord {
    std::string model;         // "configured", or the label of a model it is compared with ("dense")
    std::string task;
    std::string modality;      // a modality of the task, or "" for parts that see every modality
    std::string component;     // encoder, attention, smoa, feed_forward, smoe, router, cross_modal, head, total
    std::int64_t params = 0;   // parameters of this part
    double active_params = 0;  // parameters one sample uses (expected value for routed experts)
    double flops = 0;          // per sample; a multiply-add counts as 2
    std::optional<double> measured_flops;  // per sample, from the counter on a real batch
};

// What one sample of `task` costs in `model` (task "": the mean over tasks, from the total row):
// the task's own total row when it has one, else the sum of its rows.
struct FlopsTotals {
    bool found = false;        // the model has rows for the task
    double active_params = 0;
    double flops = 0;
    double measured = 0;
    bool has_measured = false;
};
FlopsTotals flops_totals(const std::vector<FlopsRecord>& rows, const std::string& model, const std::string& task);

// The whole model's parameters (its ("", total) row); nullopt without that row.
std::optional<std::int64_t> model_params(const std::vector<FlopsRecord>& rows, const std::string& model);

// 1 - flops / reference, in percent; nullopt without a positive reference.
std::optional<double> reduction_percent(double flops, double reference);

}  // namespace sm4

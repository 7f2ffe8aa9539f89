// Evaluation metrics per task type, on plain vectors (no LibTorch): accuracy and macro-F1
// (classification), accuracy, AUROC and macro-F1 (binary), MSE and MAE (regression), accuracy
// and micro-F1 per label (multilabel).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/task_dataset.h"

namespace sm4 {

struct Metric {
    std::string name;
    double value;
};

// outputs: [N, width] row-major model outputs (logits; one logit for binary).
// class_labels for classification/binary, targets [N, width] for regression/multilabel.
std::vector<Metric> task_metrics(TaskType type, const std::vector<float>& outputs, std::int64_t width,
                                 const std::vector<std::int64_t>& class_labels, const std::vector<float>& targets);

// The metric model selection maximises: accuracy, or -mse for regression.
double selection_metric(TaskType type, const std::vector<Metric>& metrics);
std::string selection_metric_name(TaskType type);

double accuracy(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth);
double macro_f1(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth, std::int64_t classes);
// Area under the ROC curve (ties count one half); 0.5 when only one class is present.
double auroc(const std::vector<float>& scores, const std::vector<std::int64_t>& truth);

}  // namespace sm4

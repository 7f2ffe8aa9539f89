// The tasks of an experiment loaded from their canonical files into tensors.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/config.h"
#include "io/task_dataset.h"
#include "model/task_spec.h"

namespace sm4 {

struct SplitTensors {
    std::vector<at::Tensor> inputs;  // one per modality, [N, ...]
    at::Tensor labels;               // int64 [N] or float32 [N, D]
    std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

struct TaskData {
    TaskSpec spec;
    std::filesystem::path file;
    SplitTensors train, val, test;
    const SplitTensors& split(Split which) const;
};

// The model's view of a dataset: its name, type, outputs and each modality's example shape.
TaskSpec task_spec_of(const TaskDataset& dataset);

// <data.root>/<task>.h5 for every task of data.tasks. A missing file is an IoError that says
// how to make it (`sm4 preprocess <task>`).
std::filesystem::path task_file(const Config& config, const std::string& task);
// task_file, checked to exist: IoError naming the file and the `sm4 preprocess` command otherwise.
std::filesystem::path existing_task_file(const Config& config, const std::string& task);
std::vector<TaskData> load_tasks(const Config& config);

// The rows `indices` of a split: inputs and labels.
std::pair<std::vector<at::Tensor>, at::Tensor> select_rows(const SplitTensors& split, const at::Tensor& indices);

}  // namespace sm4

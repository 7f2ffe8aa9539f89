#include "train/task_data.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cstring>

#include "core/errors.h"
#include "io/task_dataset.h"

namespace sm4 {
namespace {

at::Tensor to_tensor(FloatArray& array) {
    at::Tensor t = at::empty(array.shape, at::kFloat);
    if (!array.values.empty()) std::memcpy(t.data_ptr<float>(), array.values.data(), array.values.size() * sizeof(float));
    std::vector<float>().swap(array.values);  // the tensor is the only copy from now on
    return t;
}

SplitTensors to_tensors(SplitArrays& split, TaskType type) {
    SplitTensors out;
    for (auto& m : split.modalities) out.inputs.push_back(to_tensor(m));
    if (has_class_labels(type)) {
        out.labels = at::empty({static_cast<std::int64_t>(split.class_labels.size())}, at::kLong);
        if (!split.class_labels.empty())
            std::memcpy(out.labels.data_ptr<std::int64_t>(), split.class_labels.data(),
                        split.class_labels.size() * sizeof(std::int64_t));
    } else {
        out.labels = to_tensor(split.targets);
    }
    return out;
}

}  // namespace

const SplitTensors& TaskData::split(Split which) const { return split_member(*this, which); }

TaskSpec task_spec_of(const TaskDataset& d) {
    TaskSpec spec{d.task, d.task_type, d.num_outputs, {}};
    for (std::size_t j = 0; j < d.modalities.size(); ++j) {
        const auto& shape = d.train.modalities[j].shape;
        spec.modalities.push_back({d.modalities[j].name, d.modalities[j].kind, {shape.begin() + 1, shape.end()}});
    }
    return spec;
}

std::filesystem::path task_file(const Config& config, const std::string& task) {
    return std::filesystem::path(config.data.root) / (task + ".h5");
}

std::filesystem::path existing_task_file(const Config& config, const std::string& task) {
    const auto path = task_file(config, task);
    if (!std::filesystem::exists(path))
        throw IoError(fmt::format("{}: dataset of task '{}' not found (make it with `sm4 preprocess {} --out {}`)",
                                  path.string(), task, task, path.string()));
    return path;
}

std::vector<TaskData> load_tasks(const Config& config) {
    std::vector<TaskData> tasks;
    for (const auto& name : config.data.tasks) {
        const auto path = existing_task_file(config, name);
        TaskDataset dataset = read_task_dataset(path);
        if (dataset.task != name)
            throw DataError(fmt::format("{}: holds task '{}', but data.tasks names it '{}'", path.string(), dataset.task,
                                        name));
        TaskData data;
        data.spec = task_spec_of(dataset);
        data.file = path;
        data.train = to_tensors(dataset.train, dataset.task_type);
        data.val = to_tensors(dataset.val, dataset.task_type);
        data.test = to_tensors(dataset.test, dataset.task_type);
        tasks.push_back(std::move(data));
    }
    return tasks;
}

std::pair<std::vector<at::Tensor>, at::Tensor> select_rows(const SplitTensors& split, const at::Tensor& indices) {
    std::vector<at::Tensor> inputs;
    for (const auto& t : split.inputs) inputs.push_back(t.index_select(0, indices));
    return {inputs, split.labels.index_select(0, indices)};
}

}  // namespace sm4

#include "model/task_spec.h"

namespace sm4 {

TaskSpec task_spec_of(const TaskDataset& d) {
    TaskSpec spec{d.task, d.task_type, d.num_outputs, {}};
    for (std::size_t j = 0; j < d.modalities.size(); ++j) {
        const auto& shape = d.train.modalities[j].shape;
        spec.modalities.push_back({d.modalities[j].name, d.modalities[j].kind, {shape.begin() + 1, shape.end()}});
    }
    return spec;
}

}  // namespace sm4

// Small configs and task shapes shared by the FLOP accounting tests.
#pragma once

#include <catch.hpp>

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "io/results_db.h"
#include "model/task_spec.h"

namespace sm4::test {

// Task "a" (3 classes): an 8x8 one-channel image (4 patches of 4x4) and 4 steps of 5 features.
inline TaskSpec image_and_sequence_task() {
    return {"a", TaskType::Classification, 3, {{"img", "image", {1, 8, 8}}, {"seq", "sequence", {4, 5}}}};
}

// d_model 8, 2 heads, hidden 16, 4 experts (top-2), no capacity limit, images cut 2 x 2.
inline ModelConfig tiny_model(const std::string& backbone, std::int64_t layers) {
    ModelConfig c;
    c.backbone = parse_choice<Backbone>("backbone", backbone);
    c.d_model = 8;
    c.heads = 2;
    c.ffn_hidden = 16;
    c.layers = layers;
    c.image_grid = 2;
    c.num_experts = 4;
    c.top_k = 2;
    c.capacity_factor = 0;
    return c;
}

// A batch of random inputs for every modality of `task`, [batch, ...shape] each.
inline std::vector<at::Tensor> random_batch(const TaskSpec& task, std::int64_t batch) {
    std::vector<at::Tensor> inputs;
    for (const auto& m : task.modalities) {
        std::vector<std::int64_t> shape = {batch};
        shape.insert(shape.end(), m.shape.begin(), m.shape.end());
        inputs.push_back(at::randn(shape));
    }
    return inputs;
}

inline const FlopsRecord& find_flops_row(const std::vector<FlopsRecord>& rows, const std::string& task,
                                         const std::string& modality, const std::string& component) {
    for (const auto& r : rows)
        if (r.task == task && r.modality == modality && r.component == component) return r;
    FAIL("no row " << task << "/" << modality << "/" << component);
    throw;
}

}  // namespace sm4::test

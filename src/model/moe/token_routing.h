// What the routers of a layer need to know about the tokens of one forward (one task's batch):
// each token's modality slot (routing statistics, modality-scoped routers) and its number of
// activated experts k_j (Eq. 3), the same in every expert group of the layer.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace sm4 {

struct TokenRouting {
    at::Tensor slot;                  // [tokens] int64, each token's modality slot (over all tasks)
    at::Tensor k;                     // [tokens] int64, experts the token activates in each group
    std::int64_t k_max = 1;           // the largest of k
    bool uniform_k = true;            // every token activates k_max
    std::int64_t task = 0;            // the forward's task (task-scoped routers)
    std::vector<std::int64_t> slots;  // the slots present, in the order local_slot numbers them
    at::Tensor local_slot;            // [tokens] int64, index of each token's slot in `slots`
    at::Tensor pace;                  // [tokens] float, ALP's weight of each token's slot; undefined: none
};

}  // namespace sm4

// A data-parallel group as the model sees it: how to sum tensors over the ranks, and how many
// there are. The trainer sets it (platform/process_group.h does the summing) so that the parts
// of the network that read a whole batch (the heads' BatchNorm, the routers' balance loss) see
// the global batch, as one process at the global batch size would.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <vector>

namespace sm4 {

struct ReplicaGroup {
    std::function<void(const std::vector<at::Tensor>&)> sum;  // in place over the ranks; empty: one process
    int world = 1;

    bool active() const { return static_cast<bool>(sum) && world > 1; }
};

// x summed over the ranks (x itself in one process), differentiable: the gradient that reaches x
// is world times the incoming one, so that the ranks' gradients, averaged as data-parallel
// training averages them, equal one process's gradient of the same function of the global sum.
at::Tensor sum_over_replicas(const at::Tensor& x, const ReplicaGroup& group);

}  // namespace sm4

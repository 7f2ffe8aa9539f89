// BatchNorm over [batch, features] (the heads' "BatchNorm follow a Linear layer", Tables 15-17),
// with running statistics for evaluation. In a data-parallel run the batch statistics, and their
// gradients, are taken over every rank's batch (as PyTorch's SyncBatchNorm), so world W at batch b
// trains what one process at batch W * b trains.
#pragma once

#include <torch/nn/module.h>

#include "model/replica_group.h"

namespace sm4 {

class BatchNormImpl : public torch::nn::Module {
public:
    explicit BatchNormImpl(std::int64_t features, double eps = 1e-5, double momentum = 0.1);
    at::Tensor forward(const at::Tensor& x);  // [batch, features]
    // Data-parallel: how batch sums reach the other ranks (the trainer sets it).
    void set_replica_group(const ReplicaGroup& group) { group_ = group; }

    at::Tensor weight, bias;                 // [features]
    at::Tensor running_mean, running_var;    // buffers [features]

private:
    double eps_, momentum_;
    ReplicaGroup group_;
};
TORCH_MODULE(BatchNorm);

}  // namespace sm4

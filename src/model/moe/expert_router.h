// The router of one expert group (3.2): a small network g scoring a pool of experts, one linear
// map per router network (the gate's rows, then the noise projection's when noisy), and the
// top-k gate (model/moe/top_k_gating.h) with each token's own k. Its scope says whose router
// scores a token (Table 5): `single` (one for every modality and task: the paper's SM4),
// `modality` (one per modality slot) or `task` (one per task), always over the group's shared
// pool of experts.
#pragma once

#include <torch/nn/module.h>

#include <cstdint>

#include "core/config.h"
#include "model/replica_group.h"
#include "model/moe/routing.h"
#include "model/moe/token_routing.h"

namespace sm4 {

struct RouterSettings {
    std::int64_t d_model = 64;
    std::int64_t experts = 16;
    RouterScope scope = RouterScope::Single;
    std::int64_t slots = 1, tasks = 1;  // of the model: how many router networks each scope needs
    bool noisy = true;                  // Shazeer et al.'s noise while training
    bool renormalize = false;           // model.gate = "renormalized"
};

class ExpertRouterImpl : public torch::nn::Module {
public:
    explicit ExpertRouterImpl(const RouterSettings& settings);
    // x [tokens, d_model] -> each token's k experts (routing.k, routing.k_max) and gates.
    RouterOutput forward(const at::Tensor& x, const TokenRouting& routing);

    std::int64_t experts() const { return settings_.experts; }
    std::int64_t networks() const { return weight.size(0); }  // router networks (1, slots or tasks)
    RouterScope scope() const { return settings_.scope; }
    // Data-parallel: the balance loss then reads the importance and load of the global batch.
    void set_replica_group(const ReplicaGroup& group) { group_ = group; }

    // [networks, experts or 2 * experts, d_model]: each network's gate rows, then its noise rows.
    // Zero at the start, so every expert starts equally likely (Shazeer et al.).
    at::Tensor weight;

private:
    RouterSettings settings_;
    ReplicaGroup group_;
};
TORCH_MODULE(ExpertRouter);

}  // namespace sm4

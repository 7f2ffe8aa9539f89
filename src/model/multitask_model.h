// The multimodal multitask network, as stages every backbone shares (docs/sm4.md):
//   tokens   -> Algorithm 1's tokens of each modality (model/tokens/)
//   encoder  -> the shared latent array attends to them: N latents per modality (model/encoder/)
//   fusion   -> a task's modality latents concatenated on the sequence axis (or the batch axis)
//   layers   -> transformer layers; in SM4 layers SMoA and SMoE routed with each modality's k
//   heads    -> per task, each modality's latents pooled, concatenated, BatchNorm + Linear
// The dense and smoe backbones differ from sm4 only in their layers. With backbone "highmmt" the
// model is HighMMT's network instead (model/highmmt/highmmt_network.h: the same encoder, then
// its cross-modal pair stage and LayerNorm heads).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "model/encoder/unimodal_encoder.h"
#include "model/heads/batch_norm.h"
#include "model/heads/task_heads.h"
#include "model/highmmt/highmmt_network.h"
#include "model/layer_plan.h"
#include "model/layers/transformer_layer.h"
#include "model/moe/token_routing.h"
#include "model/task_spec.h"

namespace sm4 {

struct TaskOutput {
    at::Tensor outputs;   // [batch, head_outputs] logits or regression values
    at::Tensor aux_loss;  // scalar, already weighted
};

class MultitaskModelImpl : public torch::nn::Module {
public:
    MultitaskModelImpl(const ModelConfig& config, std::vector<TaskSpec> tasks);

    // inputs: one tensor per modality of the task, [batch, ...shape].
    TaskOutput forward(std::size_t task, const std::vector<at::Tensor>& inputs);
    // The same with only the modalities where present[j] is true (the others' inputs are not
    // read; their part of the head input is zero). Not for highmmt.
    TaskOutput forward(std::size_t task, const std::vector<at::Tensor>& inputs, const std::vector<bool>& present);

    // The stages one at a time (`sm4 flops` counts them apart): one modality's latents
    // [batch, latents, latent_dim], then everything after the encoder from the present
    // modalities' latents (in the task's modality order).
    at::Tensor encode(std::size_t task, std::size_t modality, const at::Tensor& input);
    TaskOutput forward_latents(std::size_t task, const std::vector<at::Tensor>& latents, const std::vector<bool>& present);

    const std::vector<TaskSpec>& tasks() const { return tasks_; }
    // Modality slots, "task/modality", in the order of routing statistics and model.modality_top_k.
    const std::vector<std::string>& slot_names() const { return slot_names_; }
    // The first slot of a task (its modalities are the next ones).
    std::int64_t first_slot(std::size_t task) const { return task_slots_[task].front(); }

    // Experts each slot's tokens activate in every expert group (Eq. 3); AEA moves them. Kept
    // as a buffer, so every checkpoint (best.pt too) holds the k its weights were trained with.
    std::vector<std::int64_t> modality_top_k() const;
    void set_modality_top_k(const std::vector<std::int64_t>& k);
    // ALP's learning-rate weight of each slot (train/learning_pace.h) while training; empty: none.
    void set_pace_weights(const std::vector<double>& weights) { pace_ = weights; }

    // Routed groups, named "layer<i>.attention.query" ... "layer<i>.ffn", and their statistics.
    std::vector<std::string> routing_layer_names();
    std::vector<RoutingAccumulator*> routing_statistics();
    std::int64_t experts_per_layer() const;  // width of the load rows (0: nothing routed)
    // The last layer every task shares (GradNorm measures gradient norms there).
    std::vector<at::Tensor> last_shared_layer_parameters() const;
    // Data-parallel: the heads' batch statistics and the routers' balance over the global batch.
    void set_replica_group(const ReplicaGroup& group);

    UnimodalEncoder encoder{nullptr};
    torch::nn::Linear latent_projection{nullptr};  // latent_dim -> d_model, when they differ
    torch::nn::ModuleList layers{nullptr};         // TransformerLayer
    std::vector<TaskHead> heads;                   // one per task
    HighMmtNetwork highmmt{nullptr};               // backbone "highmmt": the whole network

private:
    TokenRouting token_routing(std::size_t task, std::int64_t batch, const std::vector<std::int64_t>& present) const;

    ModelConfig config_;
    std::vector<TaskSpec> tasks_;
    std::vector<std::string> slot_names_;
    std::vector<std::vector<std::int64_t>> task_slots_;  // slot indices of each task's modalities
    at::Tensor top_k_;                                   // buffer [slots] int64
    std::vector<double> pace_;                           // per slot, or empty
};
TORCH_MODULE(MultitaskModel);

}  // namespace sm4

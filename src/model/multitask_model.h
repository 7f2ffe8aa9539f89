// The multimodal multitask transformer: per-(task, modality) tokenizers, a stack of pre-norm
// blocks shared by every task (attention, then a dense feed-forward or a sparse MoE every
// moe_every blocks), and one head per task on the mean of that task's tokens. With backbone
// "highmmt" the model is HighMMT's perceiver network instead (model/highmmt_network.h).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "model/attention.h"
#include "model/expert_groups.h"
#include "model/highmmt_network.h"
#include "model/moe_feed_forward.h"
#include "model/sm4_moe.h"
#include "model/task_spec.h"
#include "model/tokenizers.h"

namespace sm4 {

class BlockImpl : public torch::nn::Module {
public:
    // groups: the sm4 expert groups when the feed-forward is an SM4 MoE, else null;
    // head_groups: the routing groups of the attention-head experts (when attention_experts > 0).
    BlockImpl(const ModelConfig& config, bool sparse_ffn, std::int64_t slots, const ExpertGroups* groups,
              const ExpertGroups& head_groups);
    at::Tensor forward(const at::Tensor& x, const at::Tensor& slot_of_token);  // [batch, tokens, d_model]
    // The block's weighted auxiliary loss from its last forward (0 for a dense block).
    at::Tensor aux_loss(double balance_weight, double z_weight) const;

    torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
    MultiHeadAttention attention{nullptr};
    MixtureOfHeads head_experts{nullptr};
    torch::nn::Linear ff1{nullptr}, ff2{nullptr};
    MoeFeedForward moe{nullptr};
    Sm4Moe sm4_moe{nullptr};

private:
    double dropout_ = 0.0;  // on both residual branches (model/residual_dropout.h)
};
TORCH_MODULE(Block);

struct TaskOutput {
    at::Tensor outputs;   // [batch, head_outputs] logits or regression values
    at::Tensor aux_loss;  // scalar, already weighted
};

class MultitaskModelImpl : public torch::nn::Module {
public:
    MultitaskModelImpl(const ModelConfig& config, std::vector<TaskSpec> tasks);

    // inputs: one tensor per modality of the task, [batch, ...shape].
    TaskOutput forward(std::size_t task, const std::vector<at::Tensor>& inputs);

    const std::vector<TaskSpec>& tasks() const { return tasks_; }
    // Modality slots, "task/modality", in the order of routing statistics.
    const std::vector<std::string>& slot_names() const { return slot_names_; }
    // Layers with routing, named "block<i>.ffn" / "block<i>.attention", and their statistics.
    std::vector<std::string> routing_layer_names() const;
    std::vector<RoutingAccumulator*> routing_statistics();
    std::int64_t experts_per_layer() const;
    // The last layer every task shares (GradNorm measures gradient norms there).
    std::vector<at::Tensor> last_shared_layer_parameters() const;  // width of the load rows (max over routing layers)
    const ExpertGroups& expert_groups() const { return groups_; }  // sm4 backbone only
    // The parameters a modality group owns (its slots' tokenizers and, with the sm4 backbone,
    // its routers and experts in every layer), one list per group, then everything else.
    std::vector<std::vector<at::Tensor>> parameters_by_group(const std::vector<std::int64_t>& group_of_slot,
                                                             std::size_t groups);

    std::vector<ModalityTokenizer> tokenizers;  // one per slot
    torch::nn::ModuleList blocks{nullptr};
    torch::nn::LayerNorm final_norm{nullptr};
    std::vector<torch::nn::Linear> heads;       // one per task
    HighMmtNetwork highmmt{nullptr};            // backbone "highmmt": the whole network (no blocks)

private:
    ModelConfig config_;
    std::vector<TaskSpec> tasks_;
    std::vector<std::string> slot_names_;
    std::vector<std::vector<std::int64_t>> task_slots_;  // slot indices of each task's modalities
    ExpertGroups groups_;
    ExpertGroups head_groups_;  // attention-head experts: SM4's groups split evenly, or one group
};
TORCH_MODULE(MultitaskModel);

}  // namespace sm4

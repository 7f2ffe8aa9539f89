// One pre-norm transformer layer after the unimodal encoder (Figure 1b): attention then a
// feed-forward, each on its own residual. In an SM4 layer the attention is SMoA and the
// feed-forward SMoE (model.attention_router / ffn_router "none" keeps either dense: the paper's
// w/o SMoA and w/o SMoE); smoe's sparse layers have dense attention and an SMoE with one router;
// every other layer is dense.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "model/attention/dense_attention.h"
#include "model/attention/sparse_attention.h"
#include "model/layer_plan.h"
#include "model/moe/sparse_feed_forward.h"
#include "model/moe/token_routing.h"

namespace sm4 {

// A routed group of a layer and its statistics: "attention.query", ..., "ffn".
struct RoutedGroup {
    std::string name;
    RoutingAccumulator* stats;
};

class TransformerLayerImpl : public torch::nn::Module {
public:
    // slots, tasks: of the model (how many router networks a modality or task scope needs).
    TransformerLayerImpl(const ModelConfig& config, bool sparse, std::int64_t slots, std::int64_t tasks);
    // x [batch, tokens, d_model]; routing over its batch * tokens tokens.
    at::Tensor forward(const at::Tensor& x, const TokenRouting& routing);
    // The layer's weighted auxiliary loss from its last forward (0 for a dense layer).
    at::Tensor aux_loss(double balance_weight, double z_weight) const;
    std::vector<RoutedGroup> routed_groups();

    torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
    MultiHeadAttention attention{nullptr};  // dense attention, or
    SparseAttention smoa{nullptr};          // SMoA
    torch::nn::Linear ff1{nullptr}, ff2{nullptr};  // dense feed-forward, or
    SparseFeedForward smoe{nullptr};               // SMoE

private:
    double dropout_ = 0.0;  // on both residual branches (model/kernels/residual_dropout.h)
};
TORCH_MODULE(TransformerLayer);

}  // namespace sm4

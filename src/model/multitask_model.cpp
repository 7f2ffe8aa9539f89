#include "model/multitask_model.h"

#include <ATen/ATen.h>

#include <set>

#include "model/gelu.h"
#include "model/residual_dropout.h"

namespace sm4 {

BlockImpl::BlockImpl(const ModelConfig& c, bool sparse_ffn, std::int64_t slots, const ExpertGroups* groups,
                     const ExpertGroups& head_groups) {
    norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
    norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
    if (c.attention_experts > 0) {
        head_experts = register_module("head_experts",
                                       MixtureOfHeads(c.d_model, c.heads, head_groups, c.attention_top_k, c.noisy_gating));
    } else {
        attention = register_module("attention", MultiHeadAttention(c.d_model, c.heads));
    }
    const MoeSettings settings{c.d_model, expert_hidden_width(c), c.num_experts, c.top_k, c.capacity_factor, c.noisy_gating};
    if (sparse_ffn && groups) {
        sm4_moe = register_module("sm4_moe", Sm4Moe(settings, *groups, slots));
    } else if (sparse_ffn) {
        moe = register_module("moe", MoeFeedForward(settings, slots));
    } else {
        ff1 = register_module("ff1", torch::nn::Linear(c.d_model, c.ffn_hidden));
        ff2 = register_module("ff2", torch::nn::Linear(c.ffn_hidden, c.d_model));
    }
    dropout_ = c.dropout;
}

at::Tensor BlockImpl::forward(const at::Tensor& x, const at::Tensor& slot_of_token) {
    const at::Tensor normed = norm1(x);
    const at::Tensor attended = head_experts ? head_experts(normed, slot_of_token) : attention(normed);
    const at::Tensor h = residual_dropout(x, attended, dropout_, is_training());
    const std::int64_t batch = h.size(0), tokens = h.size(1), d = h.size(2);
    const at::Tensor normed2 = norm2(h);
    at::Tensor fed;
    if (moe) fed = moe(normed2.reshape({batch * tokens, d}), slot_of_token).view({batch, tokens, d});
    else if (sm4_moe) fed = sm4_moe(normed2.reshape({batch * tokens, d}), slot_of_token).view({batch, tokens, d});
    else fed = ff2(fast_gelu(ff1(normed2)));
    return residual_dropout(h, fed, dropout_, is_training());
}

at::Tensor BlockImpl::aux_loss(double balance_weight, double z_weight) const {
    at::Tensor total = at::zeros({});
    if (moe && moe->aux_loss.defined()) total = total + balance_weight * moe->aux_loss + z_weight * moe->z_loss;
    if (sm4_moe && sm4_moe->aux_loss.defined())
        total = total + balance_weight * sm4_moe->aux_loss + z_weight * sm4_moe->z_loss;
    if (head_experts && head_experts->aux_loss.defined())
        total = total + balance_weight * head_experts->aux_loss + z_weight * head_experts->z_loss;
    return total;
}

MultitaskModelImpl::MultitaskModelImpl(const ModelConfig& config, std::vector<TaskSpec> tasks)
    : config_(config), tasks_(std::move(tasks)) {
    blocks = register_module("blocks", torch::nn::ModuleList());
    if (config.backbone == Backbone::HighMmt) {
        for (const auto& task : tasks_) {
            task_slots_.emplace_back();
            for (const auto& m : task.modalities) {
                task_slots_.back().push_back(static_cast<std::int64_t>(slot_names_.size()));
                slot_names_.push_back(task.name + "/" + m.name);
            }
        }
        highmmt = register_module("highmmt", HighMmtNetwork(config, tasks_));
        return;
    }
    const TokenizerSettings settings{config.d_model, config.patch_size, config.image_grid,
                                     config.position == Position::Fourier, config.fourier_bands};
    for (const auto& task : tasks_) {
        task_slots_.emplace_back();
        for (const auto& m : task.modalities) {
            task_slots_.back().push_back(static_cast<std::int64_t>(slot_names_.size()));
            slot_names_.push_back(task.name + "/" + m.name);
            tokenizers.push_back(register_module("tokenizer_" + std::to_string(tokenizers.size()),
                                                 ModalityTokenizer(m, settings)));
        }
    }
    const auto slots = static_cast<std::int64_t>(slot_names_.size());
    if (config.backbone == Backbone::Sm4) groups_ = make_expert_groups(tasks_, config);
    if (config.attention_experts > 0)
        head_groups_ = config.backbone == Backbone::Sm4 ? split_evenly(groups_, config.attention_experts, "model.attention_experts")
                                                : single_group(slots, config.attention_experts);
    for (std::int64_t i = 0; i < config.layers; ++i) {
        const bool sparse = config.backbone != Backbone::Dense && (i + 1) % config.moe_every == 0;
        blocks->push_back(Block(config, sparse, slots, config.backbone == Backbone::Sm4 ? &groups_ : nullptr, head_groups_));
    }
    final_norm = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.d_model})));
    for (std::size_t t = 0; t < tasks_.size(); ++t)
        heads.push_back(register_module("head_" + std::to_string(t),
                                        torch::nn::Linear(config.d_model, tasks_[t].head_outputs())));
}

TaskOutput MultitaskModelImpl::forward(std::size_t task, const std::vector<at::Tensor>& inputs) {
    if (highmmt) return {highmmt->forward(task, inputs), at::zeros({}, inputs.at(0).options().dtype(at::kFloat))};
    std::vector<at::Tensor> tokens;
    std::vector<at::Tensor> slot_ids;
    for (std::size_t j = 0; j < inputs.size(); ++j) {
        const std::int64_t slot = task_slots_[task][j];
        tokens.push_back(tokenizers[static_cast<std::size_t>(slot)]->forward(inputs[j]));
        slot_ids.push_back(at::full({tokens.back().size(1)}, slot, at::kLong));
    }
    at::Tensor x = at::cat(tokens, 1);  // [batch, tokens, d]
    const std::int64_t batch = x.size(0);
    const at::Tensor slot_of_token = at::cat(slot_ids).repeat({batch});
    TaskOutput out;
    out.aux_loss = at::zeros({}, x.options());
    for (std::size_t i = 0; i < blocks->size(); ++i) {
        const auto block = blocks->ptr<BlockImpl>(i);
        x = block->forward(x, slot_of_token);
        if (is_training()) out.aux_loss = out.aux_loss + block->aux_loss(config_.balance_loss_weight,
                                                                         config_.router_z_loss_weight);
    }
    out.outputs = heads[task](final_norm(x).mean(1));
    return out;
}

std::vector<std::string> MultitaskModelImpl::routing_layer_names() const {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < blocks->size(); ++i) {
        const auto block = blocks->ptr<BlockImpl>(i);
        if (block->head_experts) names.push_back("block" + std::to_string(i) + ".attention");
        if (block->moe || block->sm4_moe) names.push_back("block" + std::to_string(i) + ".ffn");
    }
    return names;
}

std::vector<RoutingAccumulator*> MultitaskModelImpl::routing_statistics() {
    std::vector<RoutingAccumulator*> stats;
    for (std::size_t i = 0; i < blocks->size(); ++i) {
        const auto block = blocks->ptr<BlockImpl>(i);
        if (block->head_experts) stats.push_back(&block->head_experts->stats);
        if (block->moe) stats.push_back(&block->moe->stats);
        if (block->sm4_moe) stats.push_back(&block->sm4_moe->stats);
    }
    return stats;
}

std::vector<at::Tensor> MultitaskModelImpl::last_shared_layer_parameters() const {
    if (highmmt) {
        const auto& stack = highmmt->pairs->size() > 0 ? highmmt->pairs : highmmt->unimodal;
        return stack->ptr(stack->size() - 1)->parameters();
    }
    return blocks->ptr(blocks->size() - 1)->parameters();
}

std::int64_t MultitaskModelImpl::experts_per_layer() const {
    if (highmmt) return 0;
    const std::int64_t ffn = config_.backbone == Backbone::Dense ? 0 : config_.backbone == Backbone::Sm4 ? groups_.total() : config_.num_experts;
    return std::max(ffn, config_.attention_experts);
}

}  // namespace sm4

namespace sm4 {

std::vector<std::vector<at::Tensor>> MultitaskModelImpl::parameters_by_group(const std::vector<std::int64_t>& group_of_slot,
                                                                           std::size_t groups) {
    std::vector<std::vector<at::Tensor>> out(groups + 1);
    std::set<const void*> owned;
    auto take = [&](std::size_t group, const std::vector<at::Tensor>& parameters) {
        for (const auto& p : parameters) {
            out[group].push_back(p);
            owned.insert(p.unsafeGetTensorImpl());
        }
    };
    for (std::size_t slot = 0; slot < tokenizers.size(); ++slot)
        take(static_cast<std::size_t>(group_of_slot[slot]), tokenizers[slot]->parameters());
    for (std::size_t i = 0; i < blocks->size(); ++i) {
        const auto block = blocks->ptr<BlockImpl>(i);
        const auto& moe = block->sm4_moe;
        if (moe && moe->groups().size() == groups) {
            for (std::size_t g = 0; g < groups; ++g) {
                take(g, moe->router->routers[g]->parameters());
                take(g, moe->banks[g]->parameters());
            }
        }
        const auto& heads = block->head_experts;
        if (heads && heads->router->groups().size() == groups) {
            for (std::size_t g = 0; g < groups; ++g) {
                take(g, heads->router->routers[g]->parameters());
                take(g, {heads->w_query[g], heads->w_output[g]});
            }
        }
    }
    for (const auto& p : parameters())
        if (!owned.count(p.unsafeGetTensorImpl())) out[groups].push_back(p);
    return out;
}

}  // namespace sm4

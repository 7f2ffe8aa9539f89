#include "model/multitask_model.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>

#include "core/errors.h"
#include "model/layers/paced_linear.h"

namespace sm4 {

MultitaskModelImpl::MultitaskModelImpl(const ModelConfig& config, std::vector<TaskSpec> tasks)
    : config_(config), tasks_(std::move(tasks)) {
    for (const auto& task : tasks_) {
        task_slots_.emplace_back();
        for (const auto& m : task.modalities) {
            task_slots_.back().push_back(static_cast<std::int64_t>(slot_names_.size()));
            slot_names_.push_back(task.name + "/" + m.name);
        }
    }
    top_k_ = register_buffer("modality_top_k", at::tensor(sm4::modality_top_k(config, slot_names_), at::kLong));
    layers = register_module("layers", torch::nn::ModuleList());
    if (config.backbone == Backbone::HighMmt) {
        highmmt = register_module("highmmt", HighMmtNetwork(config, tasks_));
        return;
    }
    encoder = register_module("encoder", UnimodalEncoder(config, tasks_));
    if (config.latent_dim != config.d_model)
        latent_projection = register_module("latent_projection", torch::nn::Linear(config.latent_dim, config.d_model));
    const auto slots = static_cast<std::int64_t>(slot_names_.size()), task_count = static_cast<std::int64_t>(tasks_.size());
    for (std::int64_t i = 0; i < config.layers; ++i)
        layers->push_back(TransformerLayer(config, is_sparse_layer(config, i), slots, task_count));
    for (std::size_t t = 0; t < tasks_.size(); ++t)
        heads.push_back(register_module("head_" + std::to_string(t), TaskHead(tasks_[t], config)));
}

void MultitaskModelImpl::set_modality_top_k(const std::vector<std::int64_t>& k) {
    ModelConfig c = config_;
    c.modality_top_k = k;
    const at::NoGradGuard no_grad;
    top_k_.copy_(at::tensor(sm4::modality_top_k(c, slot_names_), at::kLong));
}

std::vector<std::int64_t> MultitaskModelImpl::modality_top_k() const {
    const at::Tensor k = top_k_.to(at::kCPU).contiguous();
    return {k.data_ptr<std::int64_t>(), k.data_ptr<std::int64_t>() + k.numel()};
}

TokenRouting MultitaskModelImpl::token_routing(std::size_t task, std::int64_t batch,
                                               const std::vector<std::int64_t>& present) const {
    // Token order: sequence fusion [batch][modality][latent], batch fusion [modality][batch][latent].
    const std::int64_t n = config_.latents;
    const bool by_sequence = config_.fusion == Fusion::Sequence;
    std::vector<std::int64_t> slot, k, local;
    std::vector<float> pace;
    const auto top_k = modality_top_k();
    const bool paced = is_training() && !pace_.empty();
    TokenRouting r;
    r.task = static_cast<std::int64_t>(task);
    const std::int64_t repeat = by_sequence ? n : batch * n;
    for (std::size_t i = 0; i < present.size(); ++i) {
        const std::int64_t s = task_slots_[task][static_cast<std::size_t>(present[i])];
        r.slots.push_back(s);
        slot.insert(slot.end(), static_cast<std::size_t>(repeat), s);
        k.insert(k.end(), static_cast<std::size_t>(repeat), top_k[static_cast<std::size_t>(s)]);
        if (paced) pace.insert(pace.end(), static_cast<std::size_t>(repeat), static_cast<float>(pace_[static_cast<std::size_t>(s)]));
        local.insert(local.end(), static_cast<std::size_t>(repeat), static_cast<std::int64_t>(i));
    }
    auto tensor = [&](const std::vector<std::int64_t>& v) {
        const at::Tensor t = at::tensor(v, at::TensorOptions().dtype(at::kLong));
        return by_sequence ? t.repeat({batch}) : t;
    };
    r.slot = tensor(slot);
    r.k = tensor(k);
    r.local_slot = tensor(local);
    if (paced) {
        const at::Tensor t = at::tensor(pace, at::kFloat);
        r.pace = by_sequence ? t.repeat({batch}) : t;
    }
    r.k_max = *std::max_element(k.begin(), k.end());
    r.uniform_k = std::all_of(k.begin(), k.end(), [&](std::int64_t v) { return v == r.k_max; });
    return r;
}

at::Tensor MultitaskModelImpl::encode(std::size_t task, std::size_t modality, const at::Tensor& input) {
    return encoder->forward(task, modality, input);
}

TaskOutput MultitaskModelImpl::forward(std::size_t task, const std::vector<at::Tensor>& inputs) {
    return forward(task, inputs, std::vector<bool>(inputs.size(), true));
}

TaskOutput MultitaskModelImpl::forward(std::size_t task, const std::vector<at::Tensor>& inputs, const std::vector<bool>& present) {
    if (highmmt) return {highmmt->forward(task, inputs), at::zeros({}, inputs.at(0).options().dtype(at::kFloat))};
    std::vector<at::Tensor> latents(inputs.size());
    const bool paced = is_training() && !pace_.empty();
    for (std::size_t m = 0; m < inputs.size(); ++m) {
        if (!present[m]) continue;
        latents[m] = encode(task, m, inputs[m]);
        // ALP: the encoder's weight gradients from this modality's pass scale by its weight.
        if (paced) latents[m] = scale_gradient(latents[m], pace_[static_cast<std::size_t>(task_slots_[task][m])]);
    }
    return forward_latents(task, latents, present);
}

TaskOutput MultitaskModelImpl::forward_latents(std::size_t task, const std::vector<at::Tensor>& latents,
                                               const std::vector<bool>& present) {
    std::vector<std::int64_t> kept;
    std::vector<at::Tensor> parts;
    for (std::size_t m = 0; m < latents.size(); ++m)
        if (present.at(m)) {
            kept.push_back(static_cast<std::int64_t>(m));
            parts.push_back(latents[m]);
        }
    if (parts.empty()) throw UsageError(fmt::format("task {}: a forward needs at least one modality", tasks_[task].name));
    const std::int64_t batch = parts[0].size(0), n = parts[0].size(1), m = static_cast<std::int64_t>(parts.size());
    const bool by_sequence = config_.fusion == Fusion::Sequence;
    // Fusion (C.2): [batch, modalities * latents, C]; or each modality its own sequence (Table 11).
    at::Tensor x = at::cat(parts, by_sequence ? 1 : 0);
    const TokenRouting routing = token_routing(task, batch, kept);
    if (latent_projection) x = paced_linear(x, latent_projection->weight, latent_projection->bias, routing.pace);
    TaskOutput out;
    out.aux_loss = at::zeros({}, x.options());
    for (std::size_t i = 0; i < layers->size(); ++i) {
        const auto layer = layers->ptr<TransformerLayerImpl>(i);
        x = layer->forward(x, routing);
        if (is_training()) out.aux_loss = out.aux_loss + layer->aux_loss(config_.balance_loss_weight, config_.router_z_loss_weight);
    }
    // Heads: each modality's latents pooled, in the task's modality order, absent ones zero.
    const std::int64_t d = x.size(2);
    const at::Tensor grouped = by_sequence ? x.view({batch, m, n, d}) : x.view({m, batch, n, d}).transpose(0, 1);
    const at::Tensor pooled = pool_latents(grouped.reshape({batch * m, n, d}), config_.head_pooling).view({batch, m, d});
    at::Tensor features = pooled;
    if (m != static_cast<std::int64_t>(latents.size())) {
        features = at::zeros({batch, static_cast<std::int64_t>(latents.size()), d}, x.options());
        features.index_copy_(1, at::tensor(kept, at::TensorOptions().dtype(at::kLong)).to(x.device()), pooled);
    }
    out.outputs = heads[task]->forward(features.reshape({batch, -1}));
    return out;
}

std::vector<std::string> MultitaskModelImpl::routing_layer_names() {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < layers->size(); ++i)
        for (const auto& g : layers->ptr<TransformerLayerImpl>(i)->routed_groups())
            names.push_back("layer" + std::to_string(i) + "." + g.name);
    return names;
}

std::vector<RoutingAccumulator*> MultitaskModelImpl::routing_statistics() {
    std::vector<RoutingAccumulator*> stats;
    for (std::size_t i = 0; i < layers->size(); ++i)
        for (const auto& g : layers->ptr<TransformerLayerImpl>(i)->routed_groups()) stats.push_back(g.stats);
    return stats;
}

std::int64_t MultitaskModelImpl::experts_per_layer() const {
    for (std::size_t i = 0; i < layers->size(); ++i)
        if (is_sparse_layer(config_, static_cast<std::int64_t>(i))) return config_.num_experts;
    return 0;
}

std::vector<at::Tensor> MultitaskModelImpl::last_shared_layer_parameters() const {
    if (highmmt) {
        const auto& stack = highmmt->pairs->size() > 0 ? highmmt->pairs : highmmt->encoder->layers;
        return stack->ptr(stack->size() - 1)->parameters();
    }
    return layers->ptr(layers->size() - 1)->parameters();
}

void MultitaskModelImpl::set_replica_group(const ReplicaGroup& group) {
    for (auto& head : heads)
        if (head->batch_norm) head->batch_norm->set_replica_group(group);
    for (std::size_t i = 0; i < layers->size(); ++i) {
        const auto layer = layers->ptr<TransformerLayerImpl>(i);
        if (layer->smoa)
            for (auto& router : layer->smoa->routers) router->set_replica_group(group);
        if (layer->smoe) layer->smoe->router->set_replica_group(group);
    }
}

}  // namespace sm4

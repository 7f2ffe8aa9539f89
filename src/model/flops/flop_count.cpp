#include "model/flops/flop_count.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include <fmt/format.h>

#include "core/errors.h"
#include "model/flops/highmmt_flops.h"
#include "model/layer_plan.h"
#include "model/tokens/token_layout.h"

namespace sm4 {
namespace {

using Int = std::int64_t;

// What one sample of a task contributes to one row, added up over layers.
struct Part {
    std::string modality, component;
    Int params = 0;
    double active = 0, flops = 0;
};

class TaskRows {
public:
    Part& at(const std::string& component, const std::string& modality) {
        for (auto& p : parts_)
            if (p.component == component && p.modality == modality) return p;
        parts_.push_back({modality, component});
        return parts_.back();
    }
    // Parameters every sample uses whole.
    void add_dense(const std::string& component, const std::string& modality, Int params, double flops) {
        Part& p = at(component, modality);
        p.params += params;
        p.active += static_cast<double>(params);
        p.flops += flops;
    }
    const std::deque<Part>& parts() const { return parts_; }

private:
    std::deque<Part> parts_;  // a deque: references from at() stay valid as rows are added
};

Int linear_params(Int in, Int out) { return in * out + out; }
Int norm_params(Int d) { return 2 * d; }
// Width of the layers' dense attention: heads * model.attention_head_dim, or d_model.
Int attention_width(const ModelConfig& c) { return c.attention_head_dim > 0 ? c.heads * c.attention_head_dim : c.d_model; }

// The unimodal encoder (model/encoder/): its parameters, and one modality's FLOPs per sample.
struct Encoder {
    Int L, C, ci, li, hidden, depth, width;
    bool ff;
    Encoder(const ModelConfig& c, Int token_width)
        : L(c.latents), C(c.latent_dim), ci(c.cross_heads * c.cross_head_dim), li(c.latent_heads * c.latent_head_dim),
          hidden(c.latent_dim * c.ff_mult), depth(c.unimodal_depth), width(token_width),
          ff(c.encoder_ff == EncoderFeedForward::Geglu) {}
    Int geglu() const { return norm_params(C) + linear_params(C, 2 * hidden) + linear_params(hidden, C); }
    Int params() const {
        const Int cross = norm_params(C) + norm_params(width) + C * ci + width * 2 * ci + linear_params(ci, C);
        const Int self = norm_params(C) + C * li + C * 2 * li + linear_params(li, C);
        return L * C + depth * (cross + self + (ff ? 2 * geglu() : 0));
    }
    double flops(Int tokens) const {
        const double cross = 2.0 * L * C * ci + 2.0 * tokens * width * 2 * ci + 2.0 * L * ci * C + 4.0 * L * tokens * ci;
        const double self = 2.0 * L * C * li * 4 + 4.0 * L * L * li;
        const double geglus = ff ? 2.0 * 2.0 * L * (C * 2 * hidden + hidden * C) : 0.0;
        return depth * (cross + self + geglus);
    }
};

Int router_params(const ModelConfig& c, RouterScope scope, Int slots, Int tasks) {
    const Int networks = scope == RouterScope::Modality ? slots : scope == RouterScope::Task ? tasks : 1;
    return networks * (c.noisy_gating ? 2 : 1) * c.num_experts * c.d_model;
}

struct Shape {
    Int slots = 0, tasks = 0;       // of the model
    TokenLayouts layout;
    std::vector<Int> top_k;         // per slot
};

// One task's rows for one model (not highmmt).
TaskRows task_rows(const ModelConfig& c, std::size_t t, const TaskSpec& task, Int first_slot, const Shape& shape) {
    TaskRows rows;
    const Encoder enc(c, shape.layout.width);
    const auto m = static_cast<Int>(task.modalities.size());
    const Int N = c.latents, d = c.d_model, E = c.num_experts;
    const auto& k_of = shape.top_k;
    for (Int j = 0; j < m; ++j) {
        const TokenLayout& l = shape.layout.tasks[t][static_cast<std::size_t>(j)];
        rows.add_dense(kEncoder, task.modalities[static_cast<std::size_t>(j)].name, j == 0 ? enc.params() : 0, enc.flops(l.tokens()));
    }
    if (c.latent_dim != d) rows.add_dense(kEncoder, "", linear_params(c.latent_dim, d), 2.0 * m * N * c.latent_dim * d);
    const bool by_sequence = c.fusion == Fusion::Sequence;
    const double S = static_cast<double>(m * N);  // tokens of one sample in the layers
    const double scores = by_sequence ? 4.0 * S * S * d : static_cast<double>(m) * 4.0 * N * N * d;
    const double kept = capacity_kept_share(c);
    const Int expert_mlp = 2 * d * expert_hidden_width(c) + expert_hidden_width(c) + d;
    const Int expert_linear = d * d + d;
    for (Int layer = 0; layer < c.layers; ++layer) {
        const bool sparse = is_sparse_layer(c, layer);
        const RouterScope a = sparse ? attention_scope(c) : RouterScope::None;
        const RouterScope f = sparse ? ffn_scope(c) : RouterScope::None;
        if (a == RouterScope::None) {
            const Int w = attention_width(c);
            const double dense_scores = scores * static_cast<double>(w) / static_cast<double>(d);
            rows.add_dense(kAttention, "", 4 * d * w + 3 * w + d + norm_params(d), 8.0 * S * d * w + dense_scores);
        } else {
            // SMoA: per token of modality j its k_j experts in each of the query, key and value
            // groups and the output projection (a row per modality; the shared weights on the
            // first), a product per router; scores and mixing in the attention row.
            const Int routers = c.qkv_router == QkvRouting::Shared ? 1 : 3;
            rows.add_dense(kAttention, "", 0, scores);
            for (Int j = 0; j < m; ++j) {
                const std::string& name = task.modalities[static_cast<std::size_t>(j)].name;
                const Int k = k_of[static_cast<std::size_t>(first_slot + j)];
                const Int shared = linear_params(d, d) + norm_params(d);
                Part& part = rows.at(kSmoa, name);
                if (j == 0) {
                    part.params += shared + 3 * E * expert_linear;
                    part.active += static_cast<double>(shared);
                }
                part.flops += kept * 3.0 * N * k * 2.0 * d * d + 2.0 * N * d * d;
                part.active += kept * static_cast<double>(3 * k * expert_linear);
                Part& router = rows.at(kRouter, name);
                if (j == 0) router.params += routers * router_params(c, a, shape.slots, shape.tasks);
                router.flops += routers * 2.0 * N * d * E;
                router.active += static_cast<double>(routers * d * E);
            }
        }
        if (f == RouterScope::None) {
            rows.add_dense(kFeedForward, "", linear_params(d, c.ffn_hidden) + linear_params(c.ffn_hidden, d) + norm_params(d),
                           4.0 * S * d * c.ffn_hidden);
            continue;
        }
        for (Int j = 0; j < m; ++j) {
            const std::string& name = task.modalities[static_cast<std::size_t>(j)].name;
            const Int k = k_of[static_cast<std::size_t>(first_slot + j)];
            Part& part = rows.at(kSmoe, name);
            if (j == 0) {
                part.params += E * expert_mlp + norm_params(d);
                part.active += static_cast<double>(norm_params(d));
            }
            part.flops += kept * N * k * 4.0 * d * expert_hidden_width(c);
            part.active += kept * static_cast<double>(k * expert_mlp);
            Part& router = rows.at(kRouter, name);
            if (j == 0) router.params += router_params(c, f, shape.slots, shape.tasks);
            router.flops += 2.0 * N * d * E;
            router.active += static_cast<double>(d * E);
        }
    }
    const Int inputs = d * m, outputs = head_width(task, c);
    const Int norm = c.head_norm == HeadNorm::None ? 0 : norm_params(inputs);
    rows.add_dense(kHead, "", norm + linear_params(inputs, outputs), 2.0 * inputs * outputs);
    return rows;
}

// Every parameter of the model once.
Int model_params(const ModelConfig& c, const std::vector<TaskSpec>& tasks, const Shape& shape) {
    const Int d = c.d_model, E = c.num_experts;
    Int total = Encoder(c, shape.layout.width).params();
    if (c.latent_dim != d) total += linear_params(c.latent_dim, d);
    for (const auto& task : tasks) {
        const Int inputs = d * static_cast<Int>(task.modalities.size());
        const Int outputs = head_width(task, c);
        total += (c.head_norm == HeadNorm::None ? 0 : norm_params(inputs)) + linear_params(inputs, outputs);
    }
    for (Int layer = 0; layer < c.layers; ++layer) {
        const bool sparse = is_sparse_layer(c, layer);
        const RouterScope a = sparse ? attention_scope(c) : RouterScope::None;
        const RouterScope f = sparse ? ffn_scope(c) : RouterScope::None;
        total += 2 * norm_params(d);
        if (a == RouterScope::None) {
            total += 4 * d * attention_width(c) + 3 * attention_width(c) + d;
        } else {
            const Int routers = c.qkv_router == QkvRouting::Shared ? 1 : 3;
            total += linear_params(d, d) + 3 * E * (d * d + d) + routers * router_params(c, a, shape.slots, shape.tasks);
        }
        if (f == RouterScope::None) {
            total += linear_params(d, c.ffn_hidden) + linear_params(c.ffn_hidden, d);
        } else {
            const Int h = expert_hidden_width(c);
            total += E * (2 * d * h + h + d) + router_params(c, f, shape.slots, shape.tasks);
        }
    }
    return total;
}

}  // namespace

ModelConfig dense_counterpart(const ModelConfig& config) {
    ModelConfig dense = config;
    dense.backbone = Backbone::Dense;
    return dense;
}

ModelConfig match_flops_reference(const ModelConfig& config) {
    ModelConfig reference = config;
    reference.backbone = config.match_flops == MatchFlops::Smoe ? Backbone::Smoe : Backbone::Sm4;
    reference.match_flops = MatchFlops::None;
    return reference;
}

ModelConfig flops_matched_dense(const ModelConfig& config, const std::vector<TaskSpec>& tasks,
                                const std::vector<std::int64_t>& reference_top_k) {
    if (config.match_flops == MatchFlops::None) return config;
    ModelConfig reference = match_flops_reference(config);
    if (!reference_top_k.empty()) reference.modality_top_k = reference_top_k;
    const double target = analytic_flops(reference, tasks, 1, "reference").back().flops;
    ModelConfig dense = dense_counterpart(reference);
    dense.match_flops = MatchFlops::None;
    auto cost = [&](Int hidden) {
        dense.ffn_hidden = hidden;
        return analytic_flops(dense, tasks, 1, "dense").back().flops;
    };
    const double at_small = cost(4), at_large = cost(1028);
    const double per_unit = (at_large - at_small) / 1024.0;
    const double solved = 4.0 + (target - at_small) / per_unit;
    if (solved < 4.0)
        throw ConfigError(fmt::format("model.match_flops: the dense model without its feed-forward already costs {:.3g} "
                                      "FLOPs per sample, more than {}'s {:.3g}",
                                      at_small, to_string(config.match_flops), target));
    dense.ffn_hidden = std::max<Int>(4, static_cast<Int>(std::llround(solved)));
    return dense;
}

double capacity_kept_share(const ModelConfig& config) {
    return config.capacity_factor <= 0 ? 1.0 : std::min(1.0, config.capacity_factor);
}

std::vector<FlopsRecord> analytic_flops(const ModelConfig& config, const std::vector<TaskSpec>& tasks,
                                        std::int64_t /*batch*/, const std::string& label) {
    if (config.backbone == Backbone::HighMmt) return highmmt_analytic_flops(config, tasks, label);
    Shape shape;
    for (const auto& t : tasks) shape.slots += static_cast<Int>(t.modalities.size());
    shape.tasks = static_cast<Int>(tasks.size());
    shape.layout = token_layouts(config, tasks);
    shape.top_k = modality_top_k(config, modality_slots(tasks));
    std::vector<FlopsRecord> out;
    FlopsRecord total{label, "", "", kTotal, model_params(config, tasks, shape), 0.0, 0.0, std::nullopt};
    Int slot = 0;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        const TaskRows rows = task_rows(config, t, tasks[t], slot, shape);
        for (const Part& p : rows.parts()) {
            out.push_back({label, tasks[t].name, p.modality, p.component, p.params, p.active, p.flops, std::nullopt});
            total.active_params += p.active / static_cast<double>(tasks.size());
            total.flops += p.flops / static_cast<double>(tasks.size());
        }
        slot += static_cast<Int>(tasks[t].modalities.size());
    }
    out.push_back(total);
    return out;
}

}  // namespace sm4

#include "model/flop_count.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include <fmt/format.h>

#include "core/errors.h"

#include "model/expert_groups.h"
#include "model/highmmt_flops.h"

namespace sm4 {
namespace {

using Int = std::int64_t;

struct Dims {
    Int d, h, hd, eh;  // width, dense feed-forward hidden, head width, expert hidden
    Int ffn_params() const { return 2 * d * h + h + d; }       // w1, b1, w2, b2 of the dense feed-forward
    Int expert_params() const { return 2 * d * eh + eh + d; }  // the same of one expert
};

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

struct Tokenizer {
    Int tokens = 0, params = 0;
    double flops = 0;  // per sample
};

Tokenizer tokenizer_of(const ModalitySpec& m, const ModelConfig& c, Int batch) {
    Tokenizer t;
    t.tokens = tokens_of(m, c);
    const Int d = c.d_model;
    Int axes = 1;
    if (m.shape.size() == 3) {
        const Int side = std::max(m.shape[1], m.shape[2]);
        const Int wanted = c.patch_size > 0 ? c.patch_size : (side + c.image_grid - 1) / c.image_grid;
        const Int p = std::min({wanted, m.shape[1], m.shape[2]});
        t.params = m.shape[0] * p * p * d + d;  // the patch convolution
        t.flops = 2.0 * t.tokens * m.shape[0] * p * p * d;
        axes = 2;
    } else if (m.shape.size() == 2) {
        t.params = m.shape[1] * d + d;  // the step projection
        t.flops = 2.0 * t.tokens * m.shape[1] * d;
    } else {
        t.params = 2 * m.shape[0] * d;  // value * w_f + b_f: element-wise, no matrix product
    }
    if (c.position == Position::Fourier) {
        const Int features = axes * (2 * c.fourier_bands + 1);
        t.params += features * d + d;
        t.flops += 2.0 * t.tokens * features * d / static_cast<double>(std::max<Int>(batch, 1));  // once per batch
    } else {
        t.params += t.tokens * d;
    }
    t.params += d;  // modality embedding
    return t;
}

// The model's routing groups: FFN experts (sm4) and attention-head experts (when configured).
struct Routing {
    ExpertGroups ffn, heads;
    bool grouped = false;  // sm4: routers and experts per modality group
};

Routing routing_of(const ModelConfig& c, const std::vector<TaskSpec>& tasks) {
    Routing r;
    r.grouped = c.backbone == Backbone::Sm4;
    Int slots = 0;
    for (const auto& t : tasks) slots += static_cast<Int>(t.modalities.size());
    r.ffn = r.grouped ? make_expert_groups(tasks, c) : single_group(slots, c.num_experts);
    if (c.attention_experts > 0)
        r.heads = r.grouped ? split_evenly(r.ffn, c.attention_experts, "model.attention_experts")
                            : single_group(slots, c.attention_experts);
    return r;
}

bool sparse_block(const ModelConfig& c, Int i) { return c.backbone != Backbone::Dense && (i + 1) % c.moe_every == 0; }

Int router_params(const ModelConfig& c, Int width) { return c.d_model * width * (c.noisy_gating ? 2 : 1); }

// One task's rows for one model.
TaskRows task_rows(const ModelConfig& c, const TaskSpec& task, Int first_slot, const Routing& r, Int batch) {
    const Dims dim{c.d_model, c.ffn_hidden, c.d_model / c.heads, expert_hidden_width(c)};
    const Int d = dim.d;
    TaskRows rows;
    std::vector<Int> tokens;
    Int n = 0;  // tokens of one sample
    for (const auto& m : task.modalities) {
        const Tokenizer t = tokenizer_of(m, c, batch);
        rows.add_dense(kTokenizer, m.name, t.params, t.flops);
        tokens.push_back(t.tokens);
        n += t.tokens;
    }
    const double kept = capacity_kept_share(c);
    auto modality_key = [&](std::size_t j) { return r.grouped ? task.modalities[j].name : std::string(); };
    auto group_of = [&](const ExpertGroups& g, std::size_t j) {
        return static_cast<std::size_t>(g.group_of_slot[static_cast<std::size_t>(first_slot) + j]);
    };
    for (Int layer = 0; layer < c.layers; ++layer) {
        if (c.attention_experts == 0) {
            rows.add_dense(kAttention, "", 4 * d * d + 4 * d + 2 * d, 8.0 * n * d * d + 4.0 * n * n * d);
        } else {
            // Shared keys and values; per token and chosen head expert: its query, scores over the
            // sequence, mixing and output projection.
            const Int hd = dim.hd;
            rows.add_dense(kAttention, "", 2 * hd * d + 2 * hd + 2 * d, 4.0 * n * d * hd);
            Part& attention = rows.at(kAttention, "");
            std::vector<std::size_t> reached;
            for (std::size_t j = 0; j < tokens.size(); ++j) {
                const std::size_t g = group_of(r.heads, j);
                const Int width = r.heads.experts[g];
                const Int k = std::min(c.attention_top_k, width);
                attention.flops += static_cast<double>(tokens[j] * k) * (4.0 * d * hd + 4.0 * n * hd);
                if (std::find(reached.begin(), reached.end(), g) == reached.end()) {
                    reached.push_back(g);
                    attention.params += width * 2 * d * hd;
                    attention.active += static_cast<double>(k * 2 * d * hd);
                }
                Part& router = rows.at(kRouter, modality_key(j));
                if (!r.grouped && j > 0) {
                    router.flops += 2.0 * tokens[j] * d * width;
                    continue;
                }
                router.params += router_params(c, width);
                router.active += static_cast<double>(d * width);
                router.flops += 2.0 * tokens[j] * d * width;
            }
        }
        if (!sparse_block(c, layer)) {
            rows.add_dense(kFeedForward, "", 2 * d * dim.h + dim.h + d + 2 * d, 4.0 * n * d * dim.h);
            continue;
        }
        rows.add_dense(kFeedForward, "", 2 * d, 0.0);  // the norm in front of the MoE
        for (std::size_t j = 0; j < tokens.size(); ++j) {
            const std::size_t g = group_of(r.ffn, j);
            const Int width = r.ffn.experts[g] + r.ffn.shared;  // experts this modality can reach
            const Int k = std::min(c.top_k, width);
            Part& experts = rows.at(kExperts, modality_key(j));
            Part& router = rows.at(kRouter, modality_key(j));
            experts.flops += kept * static_cast<double>(tokens[j] * k) * 4.0 * d * dim.eh;
            router.flops += 2.0 * tokens[j] * d * width;
            if (!r.grouped && j > 0) continue;  // one shared row: parameters counted once
            experts.params += width * dim.expert_params();
            experts.active += kept * static_cast<double>(k * dim.expert_params());
            router.params += router_params(c, width);
            router.active += static_cast<double>(d * width);
        }
    }
    const Int outputs = task.head_outputs();
    rows.add_dense(kHead, "", d * outputs + outputs + 2 * d, 2.0 * d * outputs);  // with the final norm
    return rows;
}

// Every parameter of the model once.
Int model_params(const ModelConfig& c, const std::vector<TaskSpec>& tasks, const Routing& r) {
    const Dims dim{c.d_model, c.ffn_hidden, c.d_model / c.heads, expert_hidden_width(c)};
    const Int d = dim.d;
    Int total = 2 * d;  // final norm
    for (const auto& task : tasks) {
        for (const auto& m : task.modalities) total += tokenizer_of(m, c, 1).params;
        total += d * task.head_outputs() + task.head_outputs();
    }
    for (Int layer = 0; layer < c.layers; ++layer) {
        total += 4 * d;  // two norms
        if (c.attention_experts == 0) {
            total += 4 * d * d + 4 * d;
        } else {
            total += 2 * dim.hd * d + 2 * dim.hd + c.attention_experts * 2 * d * dim.hd;
            for (auto width : r.heads.experts) total += router_params(c, width);
        }
        if (!sparse_block(c, layer)) {
            total += dim.ffn_params();
            continue;
        }
        total += r.ffn.total() * dim.expert_params();
        for (auto own : r.ffn.experts) total += router_params(c, own + r.ffn.shared);
    }
    return total;
}

}  // namespace

std::int64_t tokens_of(const ModalitySpec& m, const ModelConfig& c) {
    if (m.shape.size() == 3) {
        const Int side = std::max(m.shape[1], m.shape[2]);
        const Int wanted = c.patch_size > 0 ? c.patch_size : (side + c.image_grid - 1) / c.image_grid;
        const Int p = std::min({wanted, m.shape[1], m.shape[2]});
        return (m.shape[1] / p) * (m.shape[2] / p);
    }
    return m.shape.empty() ? 0 : m.shape[0];
}

ModelConfig dense_counterpart(const ModelConfig& config) {
    ModelConfig dense = config;
    dense.backbone = Backbone::Dense;
    dense.attention_experts = 0;
    dense.group_experts.clear();
    return dense;
}

ModelConfig match_flops_reference(const ModelConfig& config) {
    ModelConfig reference = config;
    reference.backbone = config.match_flops == MatchFlops::Smoe ? Backbone::Smoe : Backbone::Sm4;
    reference.match_flops = MatchFlops::None;
    return reference;
}

ModelConfig flops_matched_dense(const ModelConfig& config, const std::vector<TaskSpec>& tasks,
                                const std::vector<std::int64_t>& reference_experts) {
    if (config.match_flops == MatchFlops::None) return config;
    ModelConfig reference = match_flops_reference(config);
    if (!reference_experts.empty()) reference.group_experts = reference_experts;
    const double target = analytic_flops(reference, tasks, 1, "reference").back().flops;
    ModelConfig dense = dense_counterpart(reference);
    auto cost = [&](Int hidden) {
        dense.ffn_hidden = hidden;
        return analytic_flops(dense, tasks, 1, "dense").back().flops;
    };
    const double at_small = cost(4), at_large = cost(1028);
    const double per_unit = (at_large - at_small) / 1024.0;
    const double solved = 4.0 + (target - at_small) / per_unit;
    if (solved < 4.0)
        throw ConfigError(fmt::format("model.match_flops: the dense model's attention alone costs {:.3g} FLOPs per sample, "
                                      "more than {}'s {:.3g}", at_small, to_string(config.match_flops), target));
    dense.ffn_hidden = std::max<Int>(4, static_cast<Int>(std::llround(solved)));
    return dense;
}

double capacity_kept_share(const ModelConfig& config) {
    return config.capacity_factor <= 0 ? 1.0 : std::min(1.0, config.capacity_factor);
}

std::vector<FlopsRecord> analytic_flops(const ModelConfig& config, const std::vector<TaskSpec>& tasks,
                                        std::int64_t batch, const std::string& label) {
    if (config.backbone == Backbone::HighMmt) return highmmt_analytic_flops(config, tasks, label);
    const Routing routing = routing_of(config, tasks);
    std::vector<FlopsRecord> out;
    FlopsRecord total{label, "", "", kTotal, model_params(config, tasks, routing), 0.0, 0.0, std::nullopt};
    Int slot = 0;
    for (const auto& task : tasks) {
        const TaskRows rows = task_rows(config, task, slot, routing, batch);
        for (const Part& p : rows.parts()) {
            out.push_back({label, task.name, p.modality, p.component, p.params, p.active, p.flops, std::nullopt});
            total.active_params += p.active / static_cast<double>(tasks.size());
            total.flops += p.flops / static_cast<double>(tasks.size());
        }
        slot += static_cast<Int>(task.modalities.size());
    }
    out.push_back(total);
    return out;
}

}  // namespace sm4

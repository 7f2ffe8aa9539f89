#include "model/flops/highmmt_flops.h"

#include "model/layer_plan.h"
#include "model/tokens/token_layout.h"

namespace sm4 {
namespace {

using Int = std::int64_t;

// Parameters of one attention: bias-free query and key/value projections, output with bias.
Int attention_params(Int query, Int context, Int inner) { return query * inner + context * 2 * inner + inner * query + query; }
Int geglu_params(Int d, Int hidden) { return d * 2 * hidden + 2 * hidden + hidden * d + d; }
Int norm_params(Int d) { return 2 * d; }

struct Sizes {
    Int L, d, hidden, cross_inner, latent_inner, pair_inner;
    explicit Sizes(const ModelConfig& c)
        : L(c.latents), d(c.latent_dim), hidden(c.latent_dim * c.ff_mult), cross_inner(c.cross_heads * c.cross_head_dim),
          latent_inner(c.latent_heads * c.latent_head_dim), pair_inner(c.pair_heads * c.pair_head_dim) {}
    // The latent block (self-attention and its GEGLU) and the GEGLU after the cross-attention.
    Int block_params() const {
        return norm_params(d) + attention_params(d, d, latent_inner) + 2 * (norm_params(d) + geglu_params(d, hidden));
    }
    // Per pass over L latents: the three GEGLUs' products, and the self-attention's projections
    // and scores (two products of L x L x inner each).
    double ff_flops() const { return 2.0 * 2.0 * L * (d * 2 * hidden + hidden * d); }
    double self_projection_flops() const { return 2.0 * L * d * latent_inner * 4; }
    double self_score_flops() const { return 2.0 * 2.0 * L * L * latent_inner; }
};

}  // namespace

std::vector<FlopsRecord> highmmt_analytic_flops(const ModelConfig& c, const std::vector<TaskSpec>& tasks,
                                                const std::string& label) {
    const TokenLayouts layout = token_layouts(c, tasks);
    const Sizes s(c);
    const Int W = layout.width;
    const Int unimodal_layer = norm_params(s.d) + norm_params(W) + attention_params(s.d, W, s.cross_inner) + s.block_params();
    const Int pair_layer = 2 * norm_params(s.d) + attention_params(s.d, s.d, s.pair_inner) + s.block_params();
    const Int shared_attention = s.L * s.d + c.unimodal_depth * (unimodal_layer - 2 * (norm_params(s.d) + geglu_params(s.d, s.hidden)));
    const Int shared_ff = c.unimodal_depth * 2 * (norm_params(s.d) + geglu_params(s.d, s.hidden));
    const Int pair_params = c.cross_depth * pair_layer;

    std::vector<FlopsRecord> out;
    FlopsRecord total{label, "", "", kTotal, shared_attention + shared_ff + pair_params, 0.0, 0.0, std::nullopt};
    const double task_share = 1.0 / static_cast<double>(tasks.size());
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        const auto& task = tasks[t];
        const auto m = static_cast<Int>(task.modalities.size());
        double attention = 0, ff = 0, cross = 0;
        for (const auto& l : layout.tasks[t]) {
            const Int n = l.tokens();
            const double cross_attention = 2.0 * s.L * s.d * s.cross_inner + 2.0 * n * W * 2 * s.cross_inner +
                                           2.0 * s.L * s.cross_inner * s.d + 2.0 * 2.0 * s.L * n * s.cross_inner;
            attention += c.unimodal_depth * (cross_attention + s.self_projection_flops() + s.self_score_flops());
            ff += c.unimodal_depth * s.ff_flops();
        }
        const Int pairs = m >= 2 ? m * (m - 1) : 0;
        const double pair_projections = 2.0 * s.L * s.d * s.pair_inner * 4;
        cross += static_cast<double>(pairs * c.cross_depth) * (pair_projections + s.self_projection_flops() + s.ff_flops());
        attention += static_cast<double>(pairs * c.cross_depth) * (2.0 * 2.0 * s.L * s.L * s.pair_inner + s.self_score_flops());
        const Int inputs = m >= 2 ? s.d * pairs : c.single_modality == SingleModality::Mean ? s.d : s.L * s.d;
        const Int outputs = head_width(task, c);
        const Int head_params = norm_params(inputs) + inputs * outputs + outputs;
        total.params += head_params;
        const Int used_pairs = pairs > 0 ? pair_params : 0;
        auto add = [&](const char* component, Int params, double flops) {
            out.push_back({label, task.name, "", component, params, static_cast<double>(params), flops, std::nullopt});
            total.active_params += static_cast<double>(params) * task_share;
            total.flops += flops * task_share;
        };
        add(kAttention, shared_attention, attention);
        add(kFeedForward, shared_ff, ff);
        add(kCrossModal, used_pairs, cross);
        add(kHead, head_params, 2.0 * inputs * outputs);
    }
    out.push_back(total);
    return out;
}

}  // namespace sm4

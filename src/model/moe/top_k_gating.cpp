#include "model/moe/top_k_gating.h"

#include <ATen/ATen.h>

#include <cmath>

namespace sm4 {

Gating top_k_gating(const GatingInput& input) {
    if (fused_gating_applies(input.logits)) return fused_top_k_gating(input);
    return top_k_gating_reference(input);
}

Gating top_k_gating_reference(const GatingInput& in) {
    const bool noisy = in.eps.defined();
    const std::int64_t tokens = in.logits.size(0), experts = noisy ? in.logits.size(1) / 2 : in.logits.size(1);
    const auto long_options = in.logits.options().dtype(at::kLong);
    const at::Tensor clean = in.logits.narrow(1, 0, experts);
    at::Tensor logits = clean, noise_std;
    if (noisy) {
        noise_std = at::softplus(in.logits.narrow(1, experts, experts)) + 1e-2;
        logits = clean + in.eps * noise_std;
    }
    // One extra logit gives the threshold the load estimator needs.
    const std::int64_t take = std::min(in.k_max + 1, experts);
    auto [top, best] = logits.topk(take, /*dim=*/1);
    const at::Tensor k = in.k.to(long_options.device()).unsqueeze(1);               // [tokens, 1]
    const at::Tensor valid = at::arange(in.k_max, long_options).unsqueeze(0).lt(k);  // [tokens, k_max]
    const at::Tensor chosen = best.narrow(1, 0, in.k_max);
    Gating g;
    g.indices = at::where(valid, chosen, at::full({}, -1, long_options));
    if (in.renormalize) {
        const at::Tensor masked = at::where(valid, top.narrow(1, 0, in.k_max), at::full({}, -INFINITY, top.options()));
        g.weights = at::softmax(masked, 1);
    } else {
        g.weights = at::softmax(logits, 1).gather(1, chosen) * valid.to(logits.scalar_type());
    }
    g.probabilities = at::softmax(clean, 1).detach();
    const at::Tensor router = in.router.defined() ? in.router.to(long_options.device()) : at::zeros({tokens}, long_options);
    const at::Tensor gates = at::zeros_like(logits).scatter_add(1, chosen, g.weights);
    g.importance = at::zeros({in.routers, experts}, logits.options()).index_add(0, router, gates);
    at::Tensor load_terms;
    if (noisy) {
        // P(expert j stays in the top k when only its own noise is redrawn); 1 where k = experts.
        const at::Tensor inside_at = k.clamp_max(take - 1), outside_at = (k - 1).clamp_max(take - 1);
        const at::Tensor bar_inside = top.gather(1, inside_at), bar_outside = top.gather(1, outside_at);
        const at::Tensor bar = at::where(logits.gt(bar_inside), bar_inside, bar_outside);
        const at::Tensor z = (clean - bar) / noise_std;
        const at::Tensor phi = 0.5 * (1.0 + at::erf(z / std::sqrt(2.0)));
        load_terms = at::where(k.lt(experts), phi, at::ones_like(phi));
    } else {
        load_terms = at::zeros_like(logits).scatter_add(1, chosen, valid.to(logits.scalar_type()));
    }
    g.load = at::zeros({in.routers, experts}, logits.options()).index_add(0, router, load_terms);
    g.logsumexp = at::logsumexp(clean, 1);
    const at::Tensor p = g.probabilities.to(at::kDouble);
    g.entropy = -(p * at::log(p.clamp_min(1e-300))).sum(1);
    return g;
}

at::Tensor balance_loss(const at::Tensor& importance, const at::Tensor& load) {
    const std::int64_t experts = importance.size(1);
    if (experts <= 1) return at::zeros({}, importance.options());
    auto cv2 = [](const at::Tensor& v) { return (v.var(1) / (v.mean(1).pow(2) + 1e-10)).sum(); };
    return cv2(importance) + cv2(load);
}

}  // namespace sm4

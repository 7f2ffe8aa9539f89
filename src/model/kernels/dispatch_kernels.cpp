#include "model/kernels/dispatch_kernels.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "platform/block_threads.h"

namespace sm4 {
namespace {

bool row_kernels_apply(const at::Tensor& t) {
    return t.device().is_cpu() && (t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble);
}

// Rows per parallel chunk: about 64 KiB of output each, so small layers stay on one thread.
std::int64_t grain(std::int64_t d) { return std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(d, 1)); }

// out[t] = sum over token t's kept rows i of (w ? w[i] : 1) * src[i]: one write per output row.
at::Tensor sum_by_token(const at::Tensor& src, const DispatchPlan& plan, std::int64_t tokens, const at::Tensor& weights) {
    const std::int64_t d = src.size(1);
    const at::Tensor rows = src.contiguous(), pos = plan.positions.contiguous();
    const at::Tensor w = weights.defined() ? weights.contiguous().to(src.scalar_type()) : at::Tensor();
    const std::int64_t slots = pos.size(1);
    at::Tensor out = at::empty({tokens, d}, rows.options());
    AT_DISPATCH_FLOATING_TYPES(rows.scalar_type(), "sum_by_token", [&] {
        const scalar_t* sp = rows.data_ptr<scalar_t>();
        const scalar_t* wp = w.defined() ? w.data_ptr<scalar_t>() : nullptr;
        const std::int64_t* pp = pos.data_ptr<std::int64_t>();
        scalar_t* op = out.data_ptr<scalar_t>();
        parallel_ranges(tokens, grain(d), [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t t = begin; t < end; ++t) {
                scalar_t* row = op + t * d;
                std::fill(row, row + d, scalar_t(0));
                for (std::int64_t j = 0; j < slots; ++j) {
                    const std::int64_t i = pp[t * slots + j];
                    if (i < 0) continue;
                    const scalar_t wi = wp ? wp[i] : scalar_t(1);
                    const scalar_t* from = sp + i * d;
                    for (std::int64_t c = 0; c < d; ++c) row[c] += wi * from[c];
                }
            }
        });
    });
    return out;
}

}  // namespace

at::Tensor gather_rows(const at::Tensor& x, const DispatchPlan& plan) {
    if (!row_kernels_apply(x)) return x.index_select(0, plan.tokens);
    const at::Tensor xc = x.contiguous(), tok = plan.tokens.contiguous();
    const std::int64_t kept = tok.numel(), d = xc.size(1);
    at::Tensor out = at::empty({kept, d}, xc.options());
    AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "gather_rows", [&] {
        const scalar_t* xp = xc.data_ptr<scalar_t>();
        const std::int64_t* tp = tok.data_ptr<std::int64_t>();
        scalar_t* op = out.data_ptr<scalar_t>();
        parallel_ranges(kept, grain(d), [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) std::copy(xp + tp[i] * d, xp + (tp[i] + 1) * d, op + i * d);
        });
    });
    return out;
}

at::Tensor combine_rows(const at::Tensor& y, const DispatchPlan& plan, std::int64_t tokens) {
    if (!row_kernels_apply(y))
        return at::zeros({tokens, y.size(1)}, y.options()).index_add_(0, plan.tokens, y * plan.weights.unsqueeze(1));
    return sum_by_token(y, plan, tokens, plan.weights);
}

std::pair<at::Tensor, at::Tensor> combine_rows_backward(const at::Tensor& grad_out, const at::Tensor& y,
                                                        const DispatchPlan& plan) {
    if (!row_kernels_apply(y)) {
        const at::Tensor g = grad_out.index_select(0, plan.tokens);
        return {g * plan.weights.unsqueeze(1), (g * y).sum(1).to(plan.weights.scalar_type())};
    }
    const std::int64_t kept = y.size(0), d = y.size(1);
    const at::Tensor g = grad_out.contiguous(), yc = y.contiguous(), tok = plan.tokens.contiguous();
    const at::Tensor w = plan.weights.contiguous().to(y.scalar_type());
    at::Tensor grad_y = at::empty_like(yc), grad_w = at::empty({kept}, yc.options());
    AT_DISPATCH_FLOATING_TYPES(y.scalar_type(), "combine_rows_backward", [&] {
        const scalar_t* gp = g.data_ptr<scalar_t>();
        const scalar_t* yp = yc.data_ptr<scalar_t>();
        const scalar_t* wp = w.data_ptr<scalar_t>();
        const std::int64_t* tp = tok.data_ptr<std::int64_t>();
        scalar_t* gyp = grad_y.data_ptr<scalar_t>();
        scalar_t* gwp = grad_w.data_ptr<scalar_t>();
        parallel_ranges(kept, grain(d), [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                const scalar_t* src = gp + tp[i] * d;
                const scalar_t* yi = yp + i * d;
                scalar_t* dst = gyp + i * d;
                const scalar_t wi = wp[i];
                scalar_t dot = 0;
                for (std::int64_t c = 0; c < d; ++c) {
                    dst[c] = wi * src[c];
                    dot += src[c] * yi[c];
                }
                gwp[i] = dot;
            }
        });
    });
    return {grad_y, grad_w.to(plan.weights.scalar_type())};
}

at::Tensor sum_rows_by_token(const at::Tensor& grad_routed, const DispatchPlan& plan, std::int64_t tokens) {
    if (!row_kernels_apply(grad_routed))
        return at::zeros({tokens, grad_routed.size(1)}, grad_routed.options()).index_add_(0, plan.tokens, grad_routed);
    return sum_by_token(grad_routed, plan, tokens, at::Tensor());
}

at::Tensor order_by_expert(const at::Tensor& experts, std::int64_t count, const at::Tensor& priority) {
    const std::int64_t n = experts.numel();
    const bool counting_sort = experts.device().is_cpu() && n <= std::numeric_limits<std::uint32_t>::max() &&
                               (!priority.defined() || priority.scalar_type() == at::kFloat);
    if (!counting_sort) {
        if (!priority.defined()) return std::get<1>(experts.sort(/*stable=*/true, 0, false));
        // In double, so no difference between two priorities is lost.
        const at::Tensor p = at::nan_to_num(priority.detach().to(at::kDouble), 0.0).clamp(0.0, 1.0);
        return std::get<1>((experts.to(at::kDouble) - 0.5 * p).sort(/*stable=*/true, 0, false));
    }
    const at::Tensor e = experts.contiguous();
    const std::int64_t* ep = e.data_ptr<std::int64_t>();
    std::vector<std::int64_t> start(static_cast<std::size_t>(count) + 1, 0);
    for (std::int64_t i = 0; i < n; ++i) {
        TORCH_CHECK(ep[i] >= 0 && ep[i] < count, "order_by_expert: expert ", ep[i], " outside [0, ", count, ")");
        ++start[static_cast<std::size_t>(ep[i]) + 1];
    }
    for (std::size_t x = 1; x < start.size(); ++x) start[x] += start[x - 1];
    at::Tensor order = at::empty({n}, e.options());
    std::int64_t* op = order.data_ptr<std::int64_t>();
    std::vector<std::int64_t> next(start.begin(), start.end() - 1);
    for (std::int64_t i = 0; i < n; ++i) op[next[static_cast<std::size_t>(ep[i])]++] = i;
    if (!priority.defined()) return order;
    // Each block sorted on one integer key: the priority's bits inverted (a float in [0, 1] orders
    // as its bits do), then the index, so ties keep their order without a stable sort.
    const at::Tensor p = priority.detach().contiguous();
    const float* pp = p.data_ptr<float>();
    std::vector<std::uint64_t> keys;
    for (std::int64_t x = 0; x < count; ++x) {
        std::int64_t* block = op + start[static_cast<std::size_t>(x)];
        const std::int64_t size = start[static_cast<std::size_t>(x) + 1] - start[static_cast<std::size_t>(x)];
        keys.resize(static_cast<std::size_t>(size));
        for (std::int64_t m = 0; m < size; ++m) {
            const float v = pp[block[m]];
            const float clamped = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;  // NaN and -0 become 0
            std::uint32_t bits;
            std::memcpy(&bits, &clamped, sizeof bits);
            keys[static_cast<std::size_t>(m)] = (static_cast<std::uint64_t>(~bits) << 32) | static_cast<std::uint64_t>(block[m]);
        }
        std::sort(keys.begin(), keys.end());
        for (std::int64_t m = 0; m < size; ++m) block[m] = static_cast<std::int64_t>(keys[static_cast<std::size_t>(m)] & 0xFFFFFFFFu);
    }
    return order;
}

}  // namespace sm4

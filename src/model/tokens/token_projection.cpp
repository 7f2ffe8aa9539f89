#include "model/tokens/token_projection.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "model/kernels/fast_math.h"
#include "model/flops/flop_counter.h"
#include "platform/block_threads.h"

namespace sm4 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The layer norm's per-token mean and 1/std of [data, tail], [batch, tokens] each, summed in
// double: E[x^2] - mu^2 loses nothing that matters there for values of order one.
std::pair<at::Tensor, at::Tensor> token_statistics(const at::Tensor& data, const at::Tensor& tail, double eps) {
    const double width = static_cast<double>(data.size(2) + tail.size(1));
    const at::Tensor d = data.to(at::kDouble), t = tail.to(at::kDouble);
    const at::Tensor sum = d.sum(-1) + t.sum(-1), squares = (d * d).sum(-1) + (t * t).sum(-1);
    const at::Tensor mean = sum / width;
    const at::Tensor variance = (squares / width - mean * mean).clamp_min(0.0);
    return {mean.to(data.scalar_type()), (variance + eps).rsqrt().to(data.scalar_type())};
}

// The CPU float passes: one over the output rows forward, one over the gradient's rows backward
// (the ATen form below touches each [batch, tokens, out] tensor about five times each way).
bool kernels_apply(const at::Tensor& data, const at::Tensor& weight) {
    return data.device().is_cpu() && data.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat;
}

// Row n (token t = n % tokens): out = rstd_n * (tail_part_t - mean_n * s + sum_k d_nk wd_k) + c0.
// wd: [channels, out] (W diag(gamma)'s data columns, transposed).
SM4_VECTOR_CLONES void forward_rows(const float* __restrict data, const float* __restrict tail_part, const float* __restrict wd,
                                    const float* __restrict s, const float* __restrict c0, const float* __restrict mean,
                                    const float* __restrict rstd, std::int64_t tokens, std::int64_t channels,
                                    std::int64_t out, std::int64_t begin, std::int64_t end, float* __restrict kv) {
    for (std::int64_t n = begin; n < end; ++n) {
        float* __restrict row = kv + n * out;
        const float* __restrict p = tail_part + (n % tokens) * out;
        const float m = mean[n], r = rstd[n];
        for (std::int64_t j = 0; j < out; ++j) row[j] = p[j] - m * s[j];
        for (std::int64_t k = 0; k < channels; ++k) {
            const float dk = data[n * channels + k];
            const float* __restrict w = wd + k * out;
            for (std::int64_t j = 0; j < out; ++j) row[j] += dk * w[j];
        }
        for (std::int64_t j = 0; j < out; ++j) row[j] = r * row[j] + c0[j];
    }
}

// Tokens [t0, t1) over the whole batch: per_token[t] = sum_b rstd G, and this chunk's partial
// sums of mean * rstd * G, of G, and of rstd * G d^T (as [channels, out]).
SM4_VECTOR_CLONES void backward_chunk(const float* __restrict grad, const float* __restrict data, const float* __restrict mean,
                                      const float* __restrict rstd, std::int64_t batch, std::int64_t tokens,
                                      std::int64_t channels, std::int64_t out, std::int64_t t0, std::int64_t t1,
                                      float* __restrict per_token, float* __restrict mean_sum, float* __restrict grad_sum,
                                      float* __restrict data_sum) {
    for (std::int64_t t = t0; t < t1; ++t) {
        float* __restrict h = per_token + t * out;
        for (std::int64_t b = 0; b < batch; ++b) {
            const std::int64_t n = b * tokens + t;
            const float* __restrict g = grad + n * out;
            const float r = rstd[n], mr = mean[n] * r;
            for (std::int64_t j = 0; j < out; ++j) {
                h[j] += r * g[j];
                mean_sum[j] += mr * g[j];
                grad_sum[j] += g[j];
            }
            for (std::int64_t k = 0; k < channels; ++k) {
                const float rd = r * data[n * channels + k];
                float* __restrict a = data_sum + k * out;
                for (std::int64_t j = 0; j < out; ++j) a[j] += rd * g[j];
            }
        }
    }
}

// Token chunks of a fixed size, so the sums do not depend on the thread count.
constexpr std::int64_t kTokenChunk = 32;

struct TokenProjectionFunction : public torch::autograd::Function<TokenProjectionFunction> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& data, const at::Tensor& tail, const at::Tensor& gamma,
                              const at::Tensor& beta, const at::Tensor& weight, double eps) {
        const std::int64_t batch = data.size(0), tokens = data.size(1), channels = data.size(2), rest = tail.size(1);
        const std::int64_t out = weight.size(0);
        const at::Tensor scaled = weight * gamma;  // W diag(gamma), [out, width]
        const auto [mean, rstd] = token_statistics(data, tail, eps);
        // Wg [data, tail] - mu Wg 1 (the tail's part once for all examples), times rstd, + W beta.
        const at::Tensor tail_part = at::matmul(tail, scaled.narrow(1, channels, rest).t());  // [tokens, out]
        const at::Tensor s = scaled.sum(1), c0 = at::mv(weight, beta);
        ctx->save_for_backward({data, tail, gamma, beta, weight, mean, rstd});
        if (!kernels_apply(data, weight)) {
            at::Tensor kv = at::matmul(data, scaled.narrow(1, 0, channels).t());
            kv.add_(tail_part).addcmul_(mean.unsqueeze(-1), s, -1.0);
            return kv.mul_(rstd.unsqueeze(-1)).add_(c0);
        }
        const at::Tensor wd = scaled.narrow(1, 0, channels).t().contiguous();
        at::Tensor kv = at::empty({batch, tokens, out}, data.options());
        const float *d = data.data_ptr<float>(), *p = tail_part.data_ptr<float>(), *w = wd.data_ptr<float>();
        const float *sd = s.data_ptr<float>(), *cd = c0.data_ptr<float>(), *md = mean.data_ptr<float>(),
                    *rd = rstd.data_ptr<float>();
        float* o = kv.data_ptr<float>();
        parallel_ranges(batch * tokens, 256, [&](std::int64_t begin, std::int64_t end) {
            forward_rows(d, p, w, sd, cd, md, rd, tokens, channels, out, begin, end, o);
        });
        return kv;
    }

    // With H = rstd * G (G the gradient of kv) and A = sum over tokens of H (x - mu)^T:
    // dW = A diag(gamma) + (sum G) beta^T, dgamma = column sums of W * A, dbeta = W^T sum G.
    // A's tail columns come from H summed over the batch first.
    static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
        const auto saved = ctx->get_saved_variables();
        const at::Tensor &data = saved[0], &tail = saved[1], &gamma = saved[2], &beta = saved[3], &weight = saved[4],
                         &mean = saved[5], &rstd = saved[6];
        const std::int64_t out = weight.size(0), channels = data.size(2);
        const at::Tensor grad = grad_outputs[0].contiguous().view({-1, out});
        at::Tensor a, grad_sum;
        if (kernels_apply(data, weight)) {
            std::tie(a, grad_sum) = chunked_sums(grad, data, tail, mean, rstd);
        } else {
            const at::Tensor scaled_grad = grad * rstd.reshape({-1, 1});                               // H
            const at::Tensor per_token = scaled_grad.view({data.size(0), data.size(1), out}).sum(0);  // [tokens, out]
            a = at::cat({at::mm(scaled_grad.t(), data.reshape({-1, channels})), at::mm(per_token.t(), tail)}, 1);
            a.sub_(at::mv(scaled_grad.t(), mean.reshape({-1})).unsqueeze(1));
            grad_sum = grad.sum(0);
        }
        const at::Tensor grad_weight = a * gamma + at::outer(grad_sum, beta);
        const at::Tensor grad_gamma = (weight * a).sum(0);
        const at::Tensor grad_beta = at::mv(weight.t(), grad_sum);
        return {at::Tensor(), at::Tensor(), grad_gamma, grad_beta, grad_weight, at::Tensor()};
    }

    // A = sum over tokens of rstd G (x - mu)^T [out, width] and sum G [out], by backward_chunk
    // over fixed token chunks (on the block threads), the chunks' partial sums added in order.
    static std::pair<at::Tensor, at::Tensor> chunked_sums(const at::Tensor& grad, const at::Tensor& data, const at::Tensor& tail,
                                                          const at::Tensor& mean, const at::Tensor& rstd) {
        const std::int64_t batch = data.size(0), tokens = data.size(1), channels = data.size(2), out = grad.size(1);
        const std::int64_t chunks = (tokens + kTokenChunk - 1) / kTokenChunk;
        const at::Tensor per_token = at::zeros({tokens, out}, grad.options());
        const at::Tensor partial = at::zeros({chunks, 2 + channels, out}, grad.options());  // mean, grad, data rows
        const float *g = grad.data_ptr<float>(), *d = data.data_ptr<float>(), *md = mean.data_ptr<float>(),
                    *rd = rstd.data_ptr<float>();
        float *h = per_token.data_ptr<float>(), *pd = partial.data_ptr<float>();
        parallel_ranges(chunks, 1, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t c = begin; c < end; ++c) {
                float* sums = pd + c * (2 + channels) * out;
                backward_chunk(g, d, md, rd, batch, tokens, channels, out, c * kTokenChunk,
                               std::min(tokens, (c + 1) * kTokenChunk), h, sums, sums + out, sums + 2 * out);
            }
        });
        at::Tensor total = partial[0].clone();
        for (std::int64_t c = 1; c < chunks; ++c) total.add_(partial[c]);
        at::Tensor a = at::cat({total.narrow(0, 2, channels).t(), at::mm(per_token.t(), tail)}, 1);
        a.sub_(total[0].unsqueeze(1));
        return {a, total[1]};
    }
};

}  // namespace

at::Tensor normed_token_projection_reference(const TokenParts& tokens, const at::Tensor& gamma, const at::Tensor& beta,
                                             double eps, const at::Tensor& weight) {
    const at::Tensor& data = tokens.data;
    const at::Tensor tail = tokens.tail.unsqueeze(0).expand({data.size(0), tokens.tail.size(0), tokens.tail.size(1)});
    const at::Tensor x = at::cat({data, tail}, 2);
    return at::linear(at::layer_norm(x, {x.size(2)}, gamma, beta, eps), weight);
}

at::Tensor normed_token_projection(const TokenParts& tokens, const at::Tensor& gamma, const at::Tensor& beta, double eps,
                                   const at::Tensor& weight) {
    if (flop_counter_active() || tokens.data.requires_grad() || tokens.tail.requires_grad())
        return normed_token_projection_reference(tokens, gamma, beta, eps, weight);
    return TokenProjectionFunction::apply(tokens.data.contiguous(), tokens.tail, gamma, beta, weight, eps);
}

}  // namespace sm4

// The MoE layer against a dense feed-forward of the same active FLOPs: forward + backward time
// of each (interleaved), their GFLOP/s and ratio, and the share of the MoE's time that routing
// takes (gate, top-k, plan, gather and combine, timed on their own, forward only).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/choice.h"

namespace sm4 {

struct LayerCase {
    std::int64_t tokens = 8192, d_model = 256, experts = 16, top_k = 2;
    bool capacity = false;   // capacity factor 1.25 (else none)
    std::int64_t modalities = 0; // > 0: the tokens in this many modality slots, slot j activating j + 1 experts
    std::int64_t hidden() const { return 2 * d_model; }  // per expert; the dense FFN has mean_k() times it
    double mean_k() const;   // experts per token, on average
    // Matrix-product FLOPs of the active experts, forward + backward: 3 * 2 * tokens * k * 2 * d * h.
    double flops() const;
};

struct LayerResult {
    LayerCase shape;
    double moe_ms = 0, dense_ms = 0, ratio = 0;           // forward + backward, median per call
    double moe_gflops = 0, dense_gflops = 0;              // flops() / time
    double router_ms = 0, plan_ms = 0, dispatch_ms = 0;   // routing stages, forward only
    double routing_share = 0;                             // their sum / moe_ms
    std::int64_t dropped = 0;                             // assignments over capacity (one forward)
    std::string load;                                     // load average when measured
};

struct MatmulCeiling {
    std::int64_t n = 0;  // an n x n by n x n fp32 product
    double ms = 0, gflops = 0;
    std::string load;
};

// The named grids: "tiny" (tests), "targets" (T 8192, E 16, k 2 at d 256 and 64), "quick" (the
// default, a few minutes on 2 cores) or "full".
enum class LayerGrid { Tiny, Targets, Quick, Full };
template <> struct ChoiceNames<LayerGrid> {
    static constexpr std::array<std::string_view, 4> names{"tiny", "targets", "quick", "full"};
};
std::vector<LayerCase> layer_grid(LayerGrid grid);
// The grid named `name`; UsageError listing the names otherwise.
std::vector<LayerCase> layer_grid(const std::string& name);

MatmulCeiling measure_matmul(std::int64_t n, const at::Device& device, int repeats);
LayerResult measure_layer(const LayerCase& shape, const at::Device& device, int warmup, int repeats);

}  // namespace sm4

// `sm4 bench`: the layer grid, the matrix-product ceiling and (optionally) end-to-end training
// throughput, with the machine they ran on; printed as text tables or as one JSON object.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/e2e_bench.h"
#include "bench/layer_bench.h"
#include "core/config.h"
#include "core/json.h"
#include "core/table.h"

namespace sm4 {

struct BenchRequest {
    LayerGrid grid = LayerGrid::Quick;
    ComputeDevice device = ComputeDevice::Cpu;
    int repeats = 5, warmup = 2;  // timed calls (median) after warm-up calls, per case
    std::int64_t matmul_n = 4096; // side of the ceiling's square product
    bool e2e = false;             // also time training steps
    bool layers = true;           // the ceiling and the layer grid (off: --e2e-only)
    std::int64_t threads = 0;     // per process (rank); 0: every core, shared by the ranks on the machine
    E2eOptions e2e_options;
};

struct MachineInfo {
    std::string cpu, device, torch_version, blas, thread_policy;
    std::int64_t cores = 0;
    int intra_op_threads = 0, blas_threads = 0;
    std::int64_t allocator_cache_mb = -1;  // the caching CPU allocator's limit; -1: not installed
};

struct BenchReport {
    MachineInfo machine;
    int rank = 0, world_size = 1;  // a data-parallel bench: e2e rows only, printed by rank 0
    MatmulCeiling ceiling;
    std::vector<LayerResult> layers;
    std::vector<E2eResult> e2e;
};

// Applies train.threads' default (every core), then measures. ConfigError when cuda is asked for
// and none is usable.
BenchReport run_bench(const BenchRequest& request);

// The layer grid and the end-to-end rows as tables (their JSON keys are the documented fields).
Table layer_table(const BenchReport& report);
Table e2e_table(const BenchReport& report);

// {"machine": {...}, "matmul": {...}, "layers": [...], "e2e": [...]}
Json bench_json(const BenchReport& report);
// The machine, the ceiling, then the two tables as text.
std::string bench_tables(const BenchReport& report);

}  // namespace sm4

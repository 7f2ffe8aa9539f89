#include "bench/bench_report.h"

#include <fmt/format.h>

#include <fstream>
#include <thread>

#include "core/errors.h"
#include "core/progress.h"
#include "core/text_table.h"
#include "platform/build_info.h"
#include "platform/threads.h"
#include "train/trainer.h"

namespace sm4 {
namespace {

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<int>(c));
        else out += c;
    }
    return out + "\"";
}

std::string capacity_label(const LayerCase& c) { return c.capacity ? "1.25" : "none"; }
std::string kind_label(const LayerCase& c) { return c.groups > 0 ? fmt::format("sm4/{}", c.groups) : "smoe"; }

}  // namespace

BenchReport run_bench(const BenchRequest& request) {
    if (request.device != "cpu" && request.device != "cuda")
        throw UsageError("--device: expected cpu or cuda, found \"" + request.device + "\"");
    const auto grid = layer_grid(request.grid);
    const at::Device device = training_device(request.device);
    const ThreadSettings threads = configure_cpu_runtime(0);
    BenchReport report;
    const BuildInfo build = build_info();
    report.machine = {cpu_model(), request.device, build.torch_version, build.blas, threads.policy,
                      static_cast<std::int64_t>(std::thread::hardware_concurrency()), threads.intra_op, threads.blas,
                      threads.allocator_cache_bytes < 0 ? -1 : threads.allocator_cache_bytes >> 20};
    const auto e2e_count = request.e2e ? request.e2e_options.configs.size() * request.e2e_options.backbones.size() : 0;
    Progress progress("bench", static_cast<std::int64_t>(1 + grid.size() + e2e_count), "cases");
    report.ceiling = measure_matmul(request.matmul_n, device, std::max(1, request.repeats / 2));
    progress.advance();
    for (const auto& shape : grid) {
        report.layers.push_back(measure_layer(shape, device, request.warmup, request.repeats));
        progress.set_suffix(fmt::format("last ratio {:.2f}", report.layers.back().ratio));
        progress.advance();
    }
    if (request.e2e) report.e2e = measure_training(request.e2e_options, device, [&] { progress.advance(); });
    progress.finish();
    return report;
}

std::string bench_json(const BenchReport& r) {
    const auto& m = r.machine;
    std::string out = "{\"machine\": {";
    out += fmt::format("\"cpu\": {}, \"cores\": {}, \"device\": {}, \"torch\": {}, \"blas\": {}, \"intra_op_threads\": {}, "
                       "\"blas_threads\": {}, \"thread_policy\": {}, \"allocator_cache_mb\": {}}}",
                       quoted(m.cpu), m.cores, quoted(m.device), quoted(m.torch_version), quoted(m.blas),
                       m.intra_op_threads, m.blas_threads, quoted(m.thread_policy), m.allocator_cache_mb);
    out += fmt::format(", \"matmul\": {{\"n\": {}, \"ms\": {:.3f}, \"gflops\": {:.1f}, \"load\": {}}}", r.ceiling.n,
                       r.ceiling.ms, r.ceiling.gflops, quoted(r.ceiling.load));
    out += ", \"layers\": [";
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
        const auto& l = r.layers[i];
        const auto& c = l.shape;
        out += fmt::format(
            "{}{{\"tokens\": {}, \"d_model\": {}, \"experts\": {}, \"top_k\": {}, \"expert_hidden\": {}, "
            "\"capacity_factor\": {}, \"groups\": {}, \"gflop\": {:.4f}, \"moe_ms\": {:.3f}, \"dense_ms\": {:.3f}, "
            "\"ratio\": {:.4f}, \"moe_gflops\": {:.2f}, \"dense_gflops\": {:.2f}, \"dense_share_of_ceiling\": {:.4f}, "
            "\"router_ms\": {:.3f}, \"plan_ms\": {:.3f}, \"dispatch_ms\": {:.3f}, \"routing_share\": {:.4f}, "
            "\"dropped\": {}, \"load\": {}}}",
            i ? ", " : "", c.tokens, c.d_model, c.experts, c.top_k, c.hidden(), c.capacity ? 1.25 : 0.0, c.groups,
            c.flops() / 1e9, l.moe_ms, l.dense_ms, l.ratio, l.moe_gflops, l.dense_gflops,
            r.ceiling.gflops > 0 ? l.dense_gflops / r.ceiling.gflops : 0.0, l.router_ms, l.plan_ms, l.dispatch_ms,
            l.routing_share, l.dropped, quoted(l.load));
    }
    out += "], \"e2e\": [";
    for (std::size_t i = 0; i < r.e2e.size(); ++i) {
        const auto& e = r.e2e[i];
        out += fmt::format("{}{{\"config\": {}, \"backbone\": {}, \"data\": {}, \"tasks\": {}, \"batch_size\": {}, "
                           "\"step_ms\": {:.3f}, \"samples_per_s\": {:.1f}, \"parameters\": {}, \"load\": {}}}",
                           i ? ", " : "", quoted(e.config), quoted(e.backbone), quoted(e.data), e.tasks, e.batch_size,
                           e.step_ms, e.samples_per_s, e.parameters, quoted(e.load));
    }
    return out + "]}\n";
}

std::string bench_tables(const BenchReport& r) {
    const auto& m = r.machine;
    std::string out = fmt::format("machine: {} ({} cores), device {}, LibTorch {}, BLAS {}\nthreads: {} intra-op, {} BLAS ({})\n",
                                  m.cpu, m.cores, m.device, m.torch_version, m.blas, m.intra_op_threads, m.blas_threads,
                                  m.thread_policy);
    out += m.allocator_cache_mb < 0 ? std::string("CPU allocator: LibTorch's own\n")
                                    : fmt::format("CPU allocator: caching, up to {} MiB kept\n", m.allocator_cache_mb);
    out += fmt::format("matmul ceiling: {}x{} fp32 product {:.1f} ms, {:.1f} GFLOP/s (load {})\n\n", r.ceiling.n, r.ceiling.n,
                       r.ceiling.ms, r.ceiling.gflops, r.ceiling.load);
    std::vector<TextRow> rows;
    for (const auto& l : r.layers) {
        const auto& c = l.shape;
        rows.push_back({std::to_string(c.tokens), std::to_string(c.d_model), std::to_string(c.experts),
                        std::to_string(c.top_k), capacity_label(c), kind_label(c), fmt::format("{:.1f}", l.moe_ms),
                        fmt::format("{:.1f}", l.dense_ms), fmt::format("{:.3f}", l.ratio), fmt::format("{:.0f}", l.moe_gflops),
                        fmt::format("{:.0f}", l.dense_gflops),
                        fmt::format("{:.0f}%", r.ceiling.gflops > 0 ? 100.0 * l.dense_gflops / r.ceiling.gflops : 0.0),
                        fmt::format("{:.1f}%", 100.0 * l.routing_share), std::to_string(l.dropped), l.load});
    }
    out += "MoE layer (forward + backward) vs dense FFN of the same active FLOPs\n";
    out += format_table({"tokens", "d", "experts", "k", "capacity", "layer", "moe ms", "dense ms", "ratio", "moe GF/s",
                         "dense GF/s", "dense/ceil", "routing", "dropped", "load"},
                        rows);
    if (!r.e2e.empty()) {
        rows.clear();
        for (const auto& e : r.e2e)
            rows.push_back({e.config, e.backbone, e.data, std::to_string(e.tasks), std::to_string(e.batch_size),
                            fmt::format("{:.1f}", e.step_ms), fmt::format("{:.0f}", e.samples_per_s), std::to_string(e.parameters),
                            e.load});
        out += "\nEnd-to-end training (one batch per task per step)\n";
        out += format_table({"config", "backbone", "data", "tasks", "batch", "step ms", "samples/s", "params", "load"}, rows);
    }
    return out;
}

}  // namespace sm4

#include "bench/bench_report.h"

#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <thread>

#include "core/errors.h"
#include "core/progress.h"
#include "core/launch_env.h"
#include "platform/build_info.h"
#include "platform/process_group.h"
#include "platform/threads.h"
#include "platform/device.h"

namespace sm4 {
namespace {

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

std::string capacity_label(const LayerCase& c) { return c.capacity ? "1.25" : "none"; }
// "k 2" for one k, "k 1-4 / 4 mod." for slots of mixed k.
std::string k_label(const LayerCase& c) {
    return c.modalities > 0 ? fmt::format("1-{} / {} mod.", c.modalities, c.modalities) : std::to_string(c.top_k);
}

}  // namespace

BenchReport run_bench(const BenchRequest& request) {
    const auto grid = layer_grid(request.grid);
    // Under a launcher (`sm4 bench --e2e --nproc N`, torchrun, srun) this process is one rank:
    // it times training steps whose gradients are all-reduced over the group, nothing else.
    const LaunchEnv launch = launch_env();
    if (launch.distributed() && !request.e2e)
        throw UsageError("a data-parallel bench (--nproc, torchrun, srun) times training steps: add --e2e");
    const at::Device device = compute_device(request.device, launch.local_rank);
    const ThreadSettings threads = configure_cpu_runtime(threads_per_rank(request.threads, launch));
    std::unique_ptr<ProcessGroup> group;
    E2eOptions e2e_options = request.e2e_options;
    if (launch.distributed()) {
        group = std::make_unique<ProcessGroup>(launch, device, ProcessGroupOptions{});
        e2e_options.group = group.get();
    }
    BenchReport report;
    const BuildInfo build = build_info();
    report.machine = {cpu_model(), to_string(request.device), build.torch_version, build.blas, threads.policy,
                      static_cast<std::int64_t>(std::thread::hardware_concurrency()), threads.intra_op, threads.blas,
                      threads.allocator_cache_bytes < 0 ? -1 : threads.allocator_cache_bytes >> 20};
    report.world_size = launch.world_size;
    report.rank = launch.rank;
    const auto e2e_count = request.e2e ? request.e2e_options.configs.size() * request.e2e_options.backbones.size() : 0;
    const bool layers = request.layers && !group;
    const std::size_t layer_cases = layers ? grid.size() : 0;
    Progress progress("bench", static_cast<std::int64_t>(1 + layer_cases + e2e_count), "cases");
    if (layers) report.ceiling = measure_matmul(request.matmul_n, device, std::max(1, request.repeats / 2));
    progress.advance();
    for (const auto& shape : layers ? grid : std::vector<LayerCase>{}) {
        report.layers.push_back(measure_layer(shape, device, request.warmup, request.repeats));
        progress.set_suffix(fmt::format("last ratio {:.2f}", report.layers.back().ratio));
        progress.advance();
    }
    if (request.e2e) report.e2e = measure_training(e2e_options, device, [&] { progress.advance(); });
    if (group) group->barrier();
    progress.finish();
    return report;
}

Table layer_table(const BenchReport& r) {
    Table table;
    table.title = "MoE layer (forward + backward) vs dense FFN of the same active FLOPs";
    table.columns = {{"tokens"},
                     {"d", "d_model"},
                     {"experts"},
                     {"k", "top_k"},
                     {"hidden", "expert_hidden"},
                     {"capacity", "capacity_factor"},
                     {"modalities"},
                     {"GFLOP", "gflop"},
                     {"moe ms", "moe_ms"},
                     {"dense ms", "dense_ms"},
                     {"ratio"},
                     {"moe GF/s", "moe_gflops"},
                     {"dense GF/s", "dense_gflops"},
                     {"dense/ceil", "dense_share_of_ceiling"},
                     {"router ms", "router_ms"},
                     {"plan ms", "plan_ms"},
                     {"dispatch ms", "dispatch_ms"},
                     {"routing", "routing_share"},
                     {"dropped"},
                     {"load"}};
    for (const auto& l : r.layers) {
        const auto& c = l.shape;
        const double share = r.ceiling.gflops > 0 ? l.dense_gflops / r.ceiling.gflops : 0.0;
        table.add_row({value_cell(c.tokens), value_cell(c.d_model), value_cell(c.experts), value_cell(c.mean_k(), k_label(c)),
                       value_cell(c.hidden()), value_cell(c.capacity ? 1.25 : 0.0, capacity_label(c)),
                       value_cell(c.modalities), number_cell(c.flops() / 1e9, 3), number_cell(l.moe_ms, 1),
                       number_cell(l.dense_ms, 1), number_cell(l.ratio, 3), number_cell(l.moe_gflops, 0),
                       number_cell(l.dense_gflops, 0), value_cell(share, fmt::format("{:.0f}%", 100.0 * share)),
                       number_cell(l.router_ms, 2), number_cell(l.plan_ms, 2), number_cell(l.dispatch_ms, 2),
                       value_cell(l.routing_share, fmt::format("{:.1f}%", 100.0 * l.routing_share)),
                       value_cell(l.dropped), text_cell(l.load)});
    }
    return table;
}

Table e2e_table(const BenchReport& r) {
    Table table;
    table.title = "End-to-end training (one batch per task per step)";
    table.columns = {{"config"},      {"backbone"},     {"data"},      {"tasks"}, {"batch", "batch_size"},
                     {"ranks", "world_size"}, {"step ms", "step_ms"}, {"samples/s", "samples_per_s"},
                     {"reduce ms", "reduce_ms"}, {"reduce", "reduce_share"}, {"MB/step", "reduce_mb"},
                     {"params", "parameters"}, {"peak RSS MB", "rss_peak_mb"}, {"RSS growth MB", "rss_growth_mb"},
                     {"load"}};
    for (const auto& e : r.e2e) {
        const double share = e.step_ms > 0 ? e.reduce_ms / e.step_ms : 0.0;
        table.add_row({text_cell(e.config), text_cell(e.backbone), text_cell(e.data), value_cell(e.tasks),
                       value_cell(e.batch_size), value_cell(e.world_size), number_cell(e.step_ms, 1),
                       number_cell(e.samples_per_s, 0), number_cell(e.reduce_ms, 2),
                       value_cell(share, fmt::format("{:.1f}%", 100.0 * share)), number_cell(e.reduce_mb, 2),
                       value_cell(e.parameters), number_cell(e.rss_peak_mb, 0), number_cell(e.rss_growth_mb, 1),
                       text_cell(e.load)});
    }
    return table;
}

Json bench_json(const BenchReport& r) {
    const auto& m = r.machine;
    Json machine = Json::object();
    machine.set("cpu", m.cpu).set("cores", m.cores).set("device", m.device).set("torch", m.torch_version);
    machine.set("blas", m.blas).set("intra_op_threads", m.intra_op_threads).set("blas_threads", m.blas_threads);
    machine.set("thread_policy", m.thread_policy).set("allocator_cache_mb", m.allocator_cache_mb);
    Json matmul = Json::object();
    matmul.set("n", r.ceiling.n).set("ms", r.ceiling.ms).set("gflops", r.ceiling.gflops).set("load", r.ceiling.load);
    Json out = Json::object();
    out.set("machine", std::move(machine)).set("matmul", std::move(matmul));
    out.set("layers", table_json(layer_table(r))).set("e2e", table_json(e2e_table(r)));
    return out;
}

std::string bench_tables(const BenchReport& r) {
    const auto& m = r.machine;
    std::string out = fmt::format("machine: {} ({} cores), device {}, LibTorch {}, BLAS {}\nthreads: {} intra-op, {} BLAS ({})\n",
                                  m.cpu, m.cores, m.device, m.torch_version, m.blas, m.intra_op_threads, m.blas_threads,
                                  m.thread_policy);
    out += m.allocator_cache_mb < 0 ? std::string("CPU allocator: LibTorch's own\n")
                                    : fmt::format("CPU allocator: caching, up to {} MiB kept\n", m.allocator_cache_mb);
    if (r.world_size > 1) out += fmt::format("data-parallel: {} ranks (the rows are rank 0's; samples/s counts all ranks)\n", r.world_size);
    if (!r.layers.empty()) {
        out += fmt::format("matmul ceiling: {}x{} fp32 product {:.1f} ms, {:.1f} GFLOP/s (load {})\n\n", r.ceiling.n,
                           r.ceiling.n, r.ceiling.ms, r.ceiling.gflops, r.ceiling.load);
        out += print_table(layer_table(r), TableFormat::Text);
    }
    if (!r.e2e.empty()) out += "\n" + print_table(e2e_table(r), TableFormat::Text);
    return out;
}

}  // namespace sm4

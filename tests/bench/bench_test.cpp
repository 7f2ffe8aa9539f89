// `sm4 bench` on a tiny grid: the report and its JSON carry every documented field with sane
// values. No timing is asserted: only that times are positive and ratios consistent.
#include <catch.hpp>

#include <cmath>

#include "bench/bench_report.h"
#include "../support/run_command.h"

using namespace sm4;

TEST_CASE("bench: a tiny grid reports every case with positive times and consistent ratios", "[bench]") {
    BenchRequest request;
    request.grid = LayerGrid::Tiny;
    request.repeats = 1;
    request.warmup = 0;
    request.matmul_n = 64;
    const BenchReport report = run_bench(request);
    CHECK(report.ceiling.gflops > 0);
    CHECK(report.machine.cores >= 1);
    CHECK(report.machine.intra_op_threads >= 1);
    REQUIRE(report.layers.size() == layer_grid("tiny").size());
    for (const auto& l : report.layers) {
        CHECK(l.moe_ms > 0);
        CHECK(l.dense_ms > 0);
        CHECK(l.ratio == Approx(l.moe_ms / l.dense_ms));
        CHECK(l.moe_gflops == Approx(l.shape.flops() / l.moe_ms / 1e6));
        CHECK(l.routing_share > 0);
        CHECK(std::isfinite(l.routing_share));
        if (!l.shape.capacity) CHECK(l.dropped == 0);
    }
    CHECK(report.layers[2].shape.modalities == 2);  // two slots, k 1 and 2 in one plan
    CHECK(report.layers[3].shape.modalities == 4);

    const std::string json = bench_json(report).dump();
    for (const char* key : {"\"machine\"", "\"cpu\"", "\"blas_threads\"", "\"matmul\"", "\"gflops\"", "\"layers\"",
                            "\"moe_ms\"", "\"dense_ms\"", "\"ratio\"", "\"routing_share\"", "\"dense_share_of_ceiling\"",
                            "\"load\"", "\"e2e\""})
        CHECK(json.find(key) != std::string::npos);
    CHECK(json.front() == '{');
    CHECK(json.find("nan") == std::string::npos);
    CHECK(bench_tables(report).find("ratio") != std::string::npos);
}

TEST_CASE("bench: end-to-end training throughput for every backbone, synthetic data when files are missing", "[bench]") {
    E2eOptions options;
    options.experiments = SM4_SOURCE_DIR "/experiments";
    options.configs = {"minibench"};
    options.batch_size = 4;
    options.warmup = 0;
    options.steps = 1;
    int ticks = 0;
    const auto results = measure_training(options, at::Device(at::kCPU), [&] { ++ticks; });
    REQUIRE(results.size() == 4);
    CHECK(ticks == 4);
    for (const auto& r : results) {
        CHECK(r.tasks == 4);
        CHECK(r.batch_size == 4);
        CHECK(r.samples_per_s > 0);
        CHECK(r.parameters > 0);
        CHECK((r.data == "real" || r.data == "synthetic"));
        CHECK(r.rss_peak_mb > 50);  // LibTorch alone is more than that
        CHECK(std::isfinite(r.rss_growth_mb));
    }
    CHECK(results[0].backbone == "dense");
    CHECK(results[1].parameters > results[0].parameters);  // experts add capacity
    CHECK(results[3].backbone == "highmmt");
}

TEST_CASE("bench: --e2e-backbone picks the rows; an unknown backbone is refused naming the flag", "[bench][cli]") {
    E2eOptions options;
    options.experiments = SM4_SOURCE_DIR "/experiments";
    options.configs = {"minibench"};
    options.backbones = {Backbone::Sm4};
    options.batch_size = 2;
    options.warmup = 0;
    options.steps = 1;
    const auto results = measure_training(options, at::Device(at::kCPU), nullptr);
    REQUIRE(results.size() == 1);
    CHECK(results[0].backbone == "sm4");

    const auto bad = test::run_sm4("bench --e2e-only --e2e-backbone moe");
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains("--e2e-backbone") && Catch::Contains("\"moe\""));
}

TEST_CASE("bench: an unknown grid or device is a usage error", "[bench]") {
    // The words are parsed once, where the user typed them: the error names the flag.
    const auto grid = test::run_sm4("bench --grid huge");
    CHECK(grid.exit_code == 2);
    CHECK_THAT(grid.err, Catch::Contains("--grid"));
    const auto device = test::run_sm4("bench --grid tiny --device tpu");
    CHECK(device.exit_code == 2);
    CHECK_THAT(device.err, Catch::Contains("--device"));
}

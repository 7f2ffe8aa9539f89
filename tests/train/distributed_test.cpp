// Data-parallel training on c10d's Gloo over 127.0.0.1: two ranks with batch b train what one
// process with batch 2b trains; one run row, trace and checkpoint; ranks that disagree refuse;
// a lost rank stops the other with its rank named.
#include <catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <iterator>
#include <map>
#include <thread>

#include <torch/nn/module.h>

#include "app/local_ranks.h"
#include "io/results_db.h"
#include "io/stored_config.h"
#include "model/multitask_model.h"
#include "platform/process_group.h"
#include "train/checkpoint.h"
#include "train/task_data.h"
#include "../support/run_command.h"
#include "training_fixture.h"

using namespace sm4;
using sm4::test::SmallExperiment;
using Catch::Matchers::Contains;

namespace {

// The model a checkpoint holds, rebuilt from the config stored in it.
MultitaskModel model_in(const std::filesystem::path& checkpoint) {
    const ResolvedConfig config = stored_config(read_checkpoint_config(checkpoint), checkpoint.string());
    std::vector<TaskSpec> specs;
    for (const auto& t : load_tasks(config.values)) specs.push_back(t.spec);
    MultitaskModel model(config.values.model, specs);
    load_checkpoint(checkpoint, model, nullptr, nullptr, nullptr, at::Device(at::kCPU));
    return model;
}

// The largest difference between two models' parameters, leaving out the attention's key biases:
// their true gradient is exactly zero (softmax ignores a shift shared by all keys; with SMoA,
// untrained routers give every token the same key expert and gate, so its first step is the
// same), and Adam's g / (|g| + eps) turns the round-off of a different summation order into
// steps of lr/10 there. Everything else agrees to ~1e-7.
double max_parameter_difference(MultitaskModel a, MultitaskModel b) {
    const auto pa = a->named_parameters(), pb = b->named_parameters();
    REQUIRE(pa.size() == pb.size());
    double worst = 0.0;
    for (const auto& p : pa) {
        at::Tensor difference = (p.value() - pb[p.key()]).abs();
        const std::string& name = p.key();
        if (name.size() >= 8 && name.compare(name.size() - 8, 8, "qkv.bias") == 0) {
            const std::int64_t d = difference.numel() / 3;  // [query | key | value]
            difference = at::cat({difference.narrow(0, 0, d), difference.narrow(0, 2 * d, d)});
        }
        if (name.size() >= 10 && name.compare(name.size() - 10, 10, "smoa.b_key") == 0) continue;
        worst = std::max(worst, difference.max().item<double>());
    }
    return worst;
}

// `sm4 train` as one rank of a group of two, started by hand (the environment torchrun gives).
std::string rank_command(int rank, int port, const std::string& arguments, const std::string& log) {
    return fmt::format("env RANK={} WORLD_SIZE=2 LOCAL_RANK={} MASTER_ADDR=127.0.0.1 MASTER_PORT={} SM4_NO_PROGRESS=1 "
                       "{} train {} >{} 2>&1",
                       rank, rank, port, SM4_BINARY, arguments, log);
}

pid_t start_shell(const std::string& command) {
    const pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    return pid;
}

int exit_status(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// LayerNorm heads: with BatchNorm (its statistics summed over the ranks, tests/model/
// sm4_network_test.cpp) a bias just before the head shifts every example alike, BatchNorm removes
// the shift, its gradient is exactly zero, and Adam turns round-off there into lr-sized steps.
const std::vector<std::string> kDense = {"model.backbone=dense", "model.dropout=0", "model.head_norm=layernorm",
                                         "train.epochs=1", "train.steps_per_epoch=20"};
// The paper's network: SMoA and SMoE with a k per modality; no gating noise (each rank draws its
// own), the balance loss over the global batch (as one process computes it).
const std::vector<std::string> kSm4 = {"model.backbone=sm4", "model.dropout=0", "model.head_norm=layernorm",
                                       "model.noisy_gating=false", "model.modality_top_k=[1, 2]", "train.epochs=1",
                                       "train.steps_per_epoch=20"};

std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& extra) {
    base.insert(base.end(), extra.begin(), extra.end());
    return base;
}

}  // namespace

TEST_CASE("distributed: two ranks of batch b train the parameters one process of batch 2b trains", "[train][distributed]") {
    REQUIRE(distributed_available());  // scripts/setup.sh installs the Gloo headers c10d needs
    SmallExperiment two, one;
    const auto pair = sm4::test::run_sm4("train --nproc 2" + two.set_arguments(with(kDense, {"train.batch_size=16"})));
    INFO(pair.err);
    REQUIRE(pair.exit_code == 0);
    const auto single = sm4::test::run_sm4("train" + one.set_arguments(with(kDense, {"train.batch_size=32"})));
    REQUIRE(single.exit_code == 0);

    CHECK(max_parameter_difference(model_in(two.dir() / "runs" / "1" / "checkpoint.pt"),
                                   model_in(one.dir() / "runs" / "1" / "checkpoint.pt")) < 1e-5);
    SECTION("the paper's network") {
        SmallExperiment sm4_two, sm4_one;
        const auto a = sm4::test::run_sm4("train --nproc 2" + sm4_two.set_arguments(with(kSm4, {"train.batch_size=16"})));
        INFO(a.err);
        REQUIRE(a.exit_code == 0);
        REQUIRE(sm4::test::run_sm4("train" + sm4_one.set_arguments(with(kSm4, {"train.batch_size=32"}))).exit_code == 0);
        CHECK(max_parameter_difference(model_in(sm4_two.dir() / "runs" / "1" / "checkpoint.pt"),
                                       model_in(sm4_one.dir() / "runs" / "1" / "checkpoint.pt")) < 1e-5);
    }

    // One run, written by rank 0 alone; rank 1 prints nothing; the summary names the group.
    ResultsDb db(two.database());
    CHECK(db.list_runs().size() == 1);
    const auto run = db.find_run(1);
    REQUIRE(run);
    CHECK(run->status == "completed");
    CHECK(run->world_size == 2);
    CHECK(run->dist_backend == "gloo");
    CHECK(std::distance(std::filesystem::directory_iterator(two.dir() / "runs"), {}) == 1);
    CHECK(std::filesystem::exists(two.dir() / "runs" / "1" / "trace.h5"));
    CHECK_THAT(pair.out, Contains("data-parallel: 2 ranks on gloo"));
    CHECK(pair.out.find("run 1 completed") == pair.out.rfind("run 1 completed"));
    CHECK(ResultsDb(one.database()).find_run(1)->world_size == 1);
}

TEST_CASE("distributed: ranks started with different configs refuse, each naming both", "[train][distributed][errors]") {
    REQUIRE(distributed_available());  // scripts/setup.sh installs the Gloo headers c10d needs
    SmallExperiment experiment;
    const int port = free_local_port();
    const auto log0 = experiment.dir() / "rank0.log", log1 = experiment.dir() / "rank1.log";
    const pid_t rank0 = start_shell(rank_command(0, port, experiment.set_arguments(kDense), log0.string()));
    const pid_t rank1 =
        start_shell(rank_command(1, port, experiment.set_arguments(with(kDense, {"train.lr=0.5"})), log1.string()));
    CHECK(exit_status(rank0) == 2);
    CHECK(exit_status(rank1) == 2);
    for (const auto& log : {log0, log1}) {
        const std::string text = sm4::test::slurp(log);
        INFO(text);
        CHECK_THAT(text, Contains("data-parallel ranks disagree: rank 1 runs the config"));
        CHECK_THAT(text, Contains("but rank 0 runs the config"));
    }
    CHECK_FALSE(std::filesystem::exists(experiment.dir() / "runs"));
}

TEST_CASE("distributed: a rank killed mid-training stops the other, which names it and marks the run failed",
          "[train][distributed][errors]") {
    REQUIRE(distributed_available());  // scripts/setup.sh installs the Gloo headers c10d needs
    SmallExperiment experiment;
    const auto arguments = experiment.set_arguments(
        with(kDense, {"train.epochs=3", "train.steps_per_epoch=2000", "train.dist_timeout_s=30"}));
    const int port = free_local_port();
    const auto log0 = experiment.dir() / "rank0.log";
    const pid_t rank0 = start_shell(rank_command(0, port, arguments, log0.string()));
    const pid_t rank1 = start_shell(rank_command(1, port, arguments, "/dev/null"));
    // Wait until training runs (its run row exists and steps pass), then kill rank 1.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline && !std::filesystem::exists(experiment.dir() / "runs" / "1" / "trace.h5"))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::seconds(2));
    kill(rank1, SIGKILL);
    exit_status(rank1);
    const auto killed_at = std::chrono::steady_clock::now();
    const int code = exit_status(rank0);
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
    const std::string text = sm4::test::slurp(log0);
    INFO(text);
    CHECK(code == 1);
    CHECK(waited < 45.0);
    CHECK_THAT(text, Contains("rank 0 of 2") && Contains("lost rank 1"));
    const auto run = ResultsDb(experiment.database()).find_run(1);
    REQUIRE(run);
    CHECK(run->status == "failed");
}

TEST_CASE("distributed: --nproc inside a group of another size is refused", "[train][distributed][errors]") {
    const auto r = sm4::test::run_command(std::string("RANK=0 WORLD_SIZE=3 SM4_NO_PROGRESS=1 ") + SM4_BINARY +
                                          " train --nproc 2 --set train.epochs=1");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("--nproc 2 inside a group of 3 ranks (WORLD_SIZE)"));
}

TEST_CASE("distributed: AEA and ALP decide from statistics of all ranks: the k path and weights of one process",
          "[train][distributed][aea][alp]") {
    REQUIRE(distributed_available());  // scripts/setup.sh installs the Gloo headers c10d needs
    SmallExperiment two, one;
    const auto adaptive = with(kSm4, {"aea.enabled=true", "pace.enabled=true", "aea.min_improvement=0.3", "train.epochs=3"});
    const auto r = sm4::test::run_sm4("train --nproc 2" + two.set_arguments(with(adaptive, {"train.batch_size=16"})));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    // Each epoch end compares every rank's parameters, k and weights with rank 0's, bit for bit.
    CHECK_THAT(r.out, Contains("parameters, k and ALP weights identical on every rank at each of 3 epoch ends"));
    REQUIRE(sm4::test::run_sm4("train" + one.set_arguments(with(adaptive, {"train.batch_size=32"}))).exit_code == 0);
    const auto a = ResultsDb(two.database()).modality_epochs(1), b = ResultsDb(one.database()).modality_epochs(1);
    REQUIRE(a.size() == 6);
    REQUIRE(b.size() == 6);
    bool moved = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("row " << i << ": " << a[i].slot << " epoch " << a[i].epoch);
        CHECK(a[i].top_k == b[i].top_k);
        CHECK(a[i].aea_frozen == b[i].aea_frozen);
        CHECK(a[i].val_loss == Approx(b[i].val_loss).epsilon(1e-4));
        CHECK(a[i].routing_entropy == Approx(b[i].routing_entropy).epsilon(1e-4));
        CHECK(a[i].pace_weight == Approx(b[i].pace_weight).epsilon(1e-4));
        moved |= a[i].top_k != 1;
    }
    CHECK(moved);
    CHECK(max_parameter_difference(model_in(two.dir() / "runs" / "1" / "checkpoint.pt"),
                                   model_in(one.dir() / "runs" / "1" / "checkpoint.pt")) < 1e-4);
}

TEST_CASE("distributed: both ranks killed, the run resumes with the same world size to the same end",
          "[train][distributed][resume]") {
    REQUIRE(distributed_available());  // scripts/setup.sh installs the Gloo headers c10d needs
    SmallExperiment stopped, reference;
    const auto settings = with(kDense, {"train.epochs=3", "train.steps_per_epoch=60", "train.batch_size=16"});
    const int port = free_local_port();
    const pid_t rank0 = start_shell(rank_command(0, port, stopped.set_arguments(settings), "/dev/null"));
    const pid_t rank1 = start_shell(rank_command(1, port, stopped.set_arguments(settings), "/dev/null"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
    bool checkpointed = false;
    while (!checkpointed && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        try {
            checkpointed = std::filesystem::exists(stopped.database()) && !ResultsDb(stopped.database()).checkpoints(1).empty();
        } catch (const std::exception&) {
            // rank 0 may be creating the schema right now
        }
    }
    REQUIRE(checkpointed);
    kill(rank0, SIGKILL);
    kill(rank1, SIGKILL);
    exit_status(rank0);
    exit_status(rank1);
    CHECK(ResultsDb(stopped.database()).find_run(1)->status == "running");

    const auto alone = sm4::test::run_sm4("train --resume 1 --db " + stopped.database());
    CHECK(alone.exit_code == 2);
    CHECK_THAT(alone.err, Contains("run 1 was trained by 2 ranks and this resume has 1"));
    const auto resumed = sm4::test::run_sm4("train --nproc 2 --resume 1 --db " + stopped.database());
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    const auto whole = sm4::test::run_sm4("train --nproc 2" + reference.set_arguments(settings));
    REQUIRE(whole.exit_code == 0);
    std::map<std::string, double> a, b;
    for (const auto& m : ResultsDb(stopped.database()).metrics(1, "test", "train")) a[m.task + "/" + m.name] = m.value;
    for (const auto& m : ResultsDb(reference.database()).metrics(1, "test", "train")) b[m.task + "/" + m.name] = m.value;
    CHECK_FALSE(a.empty());
    CHECK(a == b);
}

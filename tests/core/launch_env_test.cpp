// Where a process stands in a data-parallel job, as torchrun and Slurm describe it; and quoting
// input text into one printable line.
#include <catch.hpp>

#include <map>
#include <string>

#include "core/errors.h"
#include "core/launch_env.h"
#include "core/text.h"

using namespace sm4;
using Catch::Matchers::Contains;

namespace {

EnvLookup environment(const std::map<std::string, std::string>& variables) {
    return [variables](const char* name) -> const char* {
        const auto it = variables.find(name);
        return it == variables.end() ? nullptr : it->second.c_str();
    };
}

std::string usage_error(const std::map<std::string, std::string>& variables) {
    try {
        launch_env(environment(variables));
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("launch env: no launcher means one plain process", "[core][distributed]") {
    const LaunchEnv env = launch_env(environment({}));
    CHECK_FALSE(env.distributed());
    CHECK(env.rank == 0);
    CHECK(env.launcher.empty());
    // A Slurm batch script's own shell (one task) is not a group either.
    CHECK_FALSE(launch_env(environment({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}})).distributed());
}

TEST_CASE("launch env: torchrun's variables", "[core][distributed]") {
    const LaunchEnv env = launch_env(environment(
        {{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "10.0.0.7"}, {"MASTER_PORT", "29611"},
         {"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "8"}}));  // torchrun's win over Slurm's
    CHECK(env.distributed());
    CHECK(env.rank == 3);
    CHECK(env.world_size == 4);
    CHECK(env.local_rank == 1);
    CHECK(env.local_world_size == 2);
    CHECK(env.master_addr == "10.0.0.7");
    CHECK(env.master_port == 29611);
    CHECK(env.launcher == "torchrun");
    CHECK_FALSE(env.launcher_hosts_store);
    // Under torchrun's agent, which hosts the store itself and numbers restarts.
    const LaunchEnv agent = launch_env(environment({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                                                    {"TORCHELASTIC_RESTART_COUNT", "2"}}));
    CHECK(agent.launcher_hosts_store);
    CHECK(agent.attempt == 2);
}

TEST_CASE("launch env: Slurm's variables under srun, the master from the node list", "[core][distributed]") {
    const LaunchEnv env = launch_env(environment(
        {{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "1"}, {"SLURM_JOB_NODELIST", "gpu[07-09,12],cpu1"}}));
    CHECK(env.rank == 5);
    CHECK(env.world_size == 8);
    CHECK(env.local_rank == 1);
    CHECK(env.master_addr == "gpu07");
    CHECK(env.master_port == 29500);
    CHECK(env.launcher == "slurm");
    CHECK(launch_env(environment({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_JOB_NODELIST", "a,b"},
                                  {"MASTER_ADDR", "head"}}))
              .master_addr == "head");
    CHECK(first_slurm_host("node1") == "node1");
    CHECK(first_slurm_host("n[3,5]") == "n3");
    CHECK(first_slurm_host("a,b") == "a");
}

TEST_CASE("launch env: bad values name the variable", "[core][distributed][errors]") {
    CHECK_THAT(usage_error({{"RANK", "2"}, {"WORLD_SIZE", "2"}}), Contains("RANK=2: expected 0..1"));
    CHECK_THAT(usage_error({{"RANK", "x"}, {"WORLD_SIZE", "2"}}), Contains("RANK=x: expected an integer"));
    CHECK_THAT(usage_error({{"RANK", "0"}}), Contains("RANK is set but WORLD_SIZE is not"));
    CHECK_THAT(usage_error({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}),
               Contains("MASTER_PORT=70000: expected 1..65535"));
    CHECK_THAT(usage_error({{"RANK", "0"}, {"WORLD_SIZE", "2\n"}}), Contains("WORLD_SIZE=2\\x0a: expected an integer"));
}

TEST_CASE("launch env: a Slurm job array's task picks its sweep shard", "[core][sweep]") {
    auto shard = slurm_array_shard(environment({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}));
    CHECK(shard.index == 2);
    CHECK(shard.count == 4);
    shard = slurm_array_shard(
        environment({{"SLURM_ARRAY_TASK_ID", "11"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "10"}}));
    CHECK(shard.index == 1);
    CHECK(shard.count == 3);
    CHECK_THROWS_WITH(slurm_array_shard(environment({})), Contains("SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT are not set"));
}

TEST_CASE("printable: control and non-UTF-8 bytes are escaped, UTF-8 stays", "[core]") {
    CHECK(printable("plain") == "plain");
    CHECK(printable(std::string("a\0b", 3)) == "a\\x00b");
    CHECK(printable("two\nlines\x1b[31m") == "two\\x0alines\\x1b[31m");
    CHECK(printable("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(printable("bad\xff") == "bad\\xff");
    CHECK(printable("back\\slash") == "back\\\\slash");
    // A whole message: control bytes escaped, backslashes (already escaped quotes) kept.
    CHECK(one_line("file: bad \\x00 header\nsecond line") == "file: bad \\x00 header\\x0asecond line");
}

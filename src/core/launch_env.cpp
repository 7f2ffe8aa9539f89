#include "core/launch_env.h"

#include <fmt/format.h>

#include <cstdlib>

#include "core/errors.h"
#include "core/text.h"

namespace sm4 {
namespace {

std::int64_t env_integer(const EnvLookup& lookup, const char* name, std::int64_t low, std::int64_t high) {
    const std::string text = lookup(name);
    std::size_t used = 0;
    long long value = 0;
    try {
        value = std::stoll(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size())
        throw UsageError(fmt::format("environment variable {}={}: expected an integer", name, printable(text)));
    if (value < low || value > high)
        throw UsageError(fmt::format("environment variable {}={}: expected {}..{}", name, value, low, high));
    return value;
}

bool has(const EnvLookup& lookup, const char* name) {
    const char* value = lookup(name);
    return value != nullptr && *value != '\0';
}

void read_master(const EnvLookup& lookup, LaunchEnv& env) {
    if (has(lookup, "MASTER_ADDR")) env.master_addr = lookup("MASTER_ADDR");
    if (has(lookup, "MASTER_PORT")) env.master_port = static_cast<int>(env_integer(lookup, "MASTER_PORT", 1, 65535));
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
    // Up to the first comma outside brackets; a bracket range keeps its prefix and first number.
    std::string host;
    for (std::size_t i = 0; i < nodelist.size(); ++i) {
        const char c = nodelist[i];
        if (c == ',') break;
        if (c != '[') {
            host += c;
            continue;
        }
        for (++i; i < nodelist.size() && nodelist[i] != '-' && nodelist[i] != ',' && nodelist[i] != ']'; ++i)
            host += nodelist[i];
        break;
    }
    return host;
}

LaunchEnv launch_env(const EnvLookup& lookup) {
    LaunchEnv env;
    if (has(lookup, "RANK") || has(lookup, "WORLD_SIZE")) {
        if (!has(lookup, "WORLD_SIZE"))
            throw UsageError("environment variable RANK is set but WORLD_SIZE is not: start ranks with torchrun, "
                             "srun or `sm4 train --nproc`");
        env.launcher = "torchrun";
        env.world_size = static_cast<int>(env_integer(lookup, "WORLD_SIZE", 1, 65536));
        env.rank = has(lookup, "RANK") ? static_cast<int>(env_integer(lookup, "RANK", 0, env.world_size - 1)) : 0;
        env.local_rank = has(lookup, "LOCAL_RANK") ? static_cast<int>(env_integer(lookup, "LOCAL_RANK", 0, 65535)) : 0;
        if (has(lookup, "LOCAL_WORLD_SIZE"))
            env.local_world_size = static_cast<int>(env_integer(lookup, "LOCAL_WORLD_SIZE", 1, 65536));
        env.launcher_hosts_store = has(lookup, "TORCHELASTIC_USE_AGENT_STORE") &&
                                   std::string(lookup("TORCHELASTIC_USE_AGENT_STORE")) == "True";
        if (has(lookup, "TORCHELASTIC_RESTART_COUNT"))
            env.attempt = static_cast<int>(env_integer(lookup, "TORCHELASTIC_RESTART_COUNT", 0, 1 << 20));
        read_master(lookup, env);
        return env;
    }
    if (has(lookup, "SLURM_PROCID") && has(lookup, "SLURM_NTASKS")) {
        env.world_size = static_cast<int>(env_integer(lookup, "SLURM_NTASKS", 1, 65536));
        if (env.world_size == 1) return LaunchEnv{};  // a batch script's own shell: one process
        env.launcher = "slurm";
        env.rank = static_cast<int>(env_integer(lookup, "SLURM_PROCID", 0, env.world_size - 1));
        env.local_rank = has(lookup, "SLURM_LOCALID") ? static_cast<int>(env_integer(lookup, "SLURM_LOCALID", 0, 65535)) : 0;
        for (const char* name : {"SLURM_JOB_NODELIST", "SLURM_NODELIST"})
            if (has(lookup, name)) {
                env.master_addr = first_slurm_host(lookup(name));
                break;
            }
        read_master(lookup, env);
    }
    return env;
}

LaunchEnv launch_env() {
    return launch_env([](const char* name) { return std::getenv(name); });
}

ShardChoice slurm_array_shard(const EnvLookup& lookup) {
    if (!has(lookup, "SLURM_ARRAY_TASK_ID") || !has(lookup, "SLURM_ARRAY_TASK_COUNT"))
        throw UsageError("--shard auto: SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT are not set (run it as a "
                         "Slurm job array, e.g. sbatch --array=0-3, or give --shard i/n)");
    ShardChoice shard;
    shard.count = env_integer(lookup, "SLURM_ARRAY_TASK_COUNT", 1, 1 << 20);
    const std::int64_t first = has(lookup, "SLURM_ARRAY_TASK_MIN") ? env_integer(lookup, "SLURM_ARRAY_TASK_MIN", 0, 1 << 30) : 0;
    shard.index = env_integer(lookup, "SLURM_ARRAY_TASK_ID", first, first + shard.count - 1) - first;
    return shard;
}

ShardChoice slurm_array_shard() {
    return slurm_array_shard([](const char* name) { return std::getenv(name); });
}

}  // namespace sm4

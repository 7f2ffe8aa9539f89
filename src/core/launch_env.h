// Where a process stands in a data-parallel job, read from the environment the usual launchers
// set: torchrun's RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT (`sm4 train --nproc`
// sets the same), or Slurm's SLURM_PROCID, SLURM_NTASKS and SLURM_LOCALID under srun (the master
// from MASTER_ADDR, else the first host of SLURM_JOB_NODELIST). And which shard of a sweep a
// Slurm job-array task runs. No LibTorch here: the sweep layer reads it too.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace sm4 {

struct LaunchEnv {
    int rank = 0;
    int world_size = 1;
    int local_rank = 0;
    int local_world_size = 0;  // ranks on this machine (torchrun's LOCAL_WORLD_SIZE); 0: not said
    std::string master_addr = "127.0.0.1";
    int master_port = 29500;
    bool launcher_hosts_store = false;  // torchrun's agent hosts the store at MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE)
    int attempt = 0;                    // torchrun's TORCHELASTIC_RESTART_COUNT
    std::string launcher;  // "torchrun" (RANK/WORLD_SIZE, also `sm4 train --nproc`), "slurm", "" (one process)

    bool distributed() const { return world_size > 1; }
};

// The lookup is a parameter so tests can give an environment of their own; it returns nullptr
// for an unset variable. UsageError naming the variable for a value that is not a number, a rank
// outside [0, world size), or a port outside 1..65535.
using EnvLookup = std::function<const char*(const char*)>;
LaunchEnv launch_env(const EnvLookup& lookup);
LaunchEnv launch_env();  // the process's own environment

// The first host of a Slurm node list: "node[07-09,12],gpu1" -> "node07"; "a,b" -> "a".
std::string first_slurm_host(const std::string& nodelist);

// `sweep --shard auto`: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT (when the array does not
// start at 0, the id is taken relative to SLURM_ARRAY_TASK_MIN). UsageError when they are unset.
struct ShardChoice {
    std::int64_t index = 0, count = 1;
};
ShardChoice slurm_array_shard(const EnvLookup& lookup);
ShardChoice slurm_array_shard();  // the process's own environment

}  // namespace sm4

// One rank of a data-parallel group on PyTorch's c10d: Gloo on the CPU (a TCPStore hosted by rank
// 0 for the rendezvous), NCCL for CUDA tensors when the LibTorch has it. The trainer sums
// gradients, routing statistics and evaluation outputs through it; c10d stays out of this header.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/launch_env.h"

namespace sm4 {

struct ProcessGroupOptions {
    double timeout_s = 300.0;  // per collective and for the rendezvous
    double bucket_mb = 25.0;   // gradients are reduced in flat buffers of at most this size
};

class ProcessGroup {
public:
    // Joins the group `env` describes; blocks until every rank has arrived (or the timeout).
    // DistributedError naming the master's address when the rendezvous fails; UsageError when this
    // build has no c10d.
    ProcessGroup(const LaunchEnv& env, const at::Device& device, const ProcessGroupOptions& options);
    ~ProcessGroup();
    ProcessGroup(const ProcessGroup&) = delete;
    ProcessGroup& operator=(const ProcessGroup&) = delete;

    int rank() const;
    int world_size() const;
    const std::string& backend() const;  // "gloo" or "nccl"

    // Sums the tensors over the ranks, in place, packed by dtype into flat buckets of at most
    // bucket_mb (one collective per bucket, not one per tensor). Undefined tensors are skipped.
    void all_reduce_sum(const std::vector<at::Tensor>& tensors);
    // The same, then divided by the world size (gradients: the mean over the global batch).
    void all_reduce_mean(const std::vector<at::Tensor>& tensors);
    // Overwrites the tensors with rank 0's, bucketed the same way.
    void broadcast(const std::vector<at::Tensor>& tensors);
    // Every rank's `value` for `key`, in rank order (through the rendezvous store).
    std::vector<std::string> exchange(const std::string& key, const std::string& value);
    // Rank 0's `value` on every rank.
    std::string share(const std::string& key, const std::string& value);
    void barrier();

    // What the all-reduces cost so far: wall time, bytes summed (per rank), calls.
    double reduce_seconds() const;
    std::int64_t reduced_bytes() const;
    std::int64_t reduce_calls() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

// Whether this build can join a group (c10d's Gloo headers were there when it was built).
bool distributed_available();

}  // namespace sm4

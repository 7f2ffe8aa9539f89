// AEA, the adaptive expert allocation (the paper's Algorithm 3, prose form Algorithm 2): for
// every modality slot, after each epoch, with L its validation loss: L below the best so far
// becomes the best; the first epoch without such a fall, after a fall, lets the slot activate
// one expert more (k + 1); a second one in a row (the growth did not help) steps k back by one
// and freezes the slot for the rest of training. Algorithm 3 prints a `break` before the
// decrement; Algorithm 2 and the prose make the decrement part of the stop, and so does this. A
// slot at the cap (aea.max_k, else model.num_experts) that stops improving freezes at its k.
// State is a module, so checkpoints keep it and a resumed run takes the same k path.
#pragma once

#include <torch/nn/module.h>

#include <cstdint>
#include <vector>

#include "core/config.h"

namespace sm4 {

struct SlotAllocation {
    std::int64_t k = 1;
    double best = 0;      // +inf before the first epoch
    bool improved = true;
    bool frozen = false;
};

// One epoch of Algorithm 3 for one slot: `loss` below best * (1 - min_improvement) improves.
SlotAllocation allocation_step(SlotAllocation slot, double loss, double min_improvement, std::int64_t max_k);

class ExpertAllocationImpl : public torch::nn::Module {
public:
    // start_k: model.modality_top_k per slot (the paper's k_m = 1); max_k: the cap.
    ExpertAllocationImpl(const std::vector<std::int64_t>& start_k, const AeaConfig& config, std::int64_t max_k);
    // val_loss: each slot's validation loss after the epoch (NaN: not measured, the slot skips).
    void after_epoch(const std::vector<double>& val_loss);
    std::vector<std::int64_t> top_k() const;  // the k of the next epoch
    std::vector<bool> frozen() const;

    at::Tensor k, best, improved, frozen_;  // buffers [slots]: int64, double, int64, int64

private:
    AeaConfig config_;
    std::int64_t max_k_;
};
TORCH_MODULE(ExpertAllocation);

}  // namespace sm4

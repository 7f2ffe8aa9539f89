// Steps every converter shares: cut full arrays into splits, compute train-only statistics and
// standardise with them.
#pragma once

#include <cstdint>
#include <vector>

#include "data/splits.h"
#include "io/task_dataset.h"

namespace sm4 {

// The rows `indices` of `array`, in that order.
FloatArray gather_rows(const FloatArray& array, const std::vector<std::int64_t>& indices);

// Fills dataset.train/val/test from full per-modality arrays and class labels.
void assign_splits(TaskDataset& dataset, const std::vector<FloatArray>& modalities,
                   const std::vector<std::int64_t>& labels, const SplitIndices& split);

// Per-channel (rank 4: axis 1) or per-feature (rank 2, 3: last axis) mean and standard deviation
// of the train split of modality `index`, stored in its ModalityInfo. With apply, every split
// is standardised with them ((x - mean) / std, std floored at 1e-6) and the modality marked so.
void compute_statistics(TaskDataset& dataset, std::size_t index, bool apply);

}  // namespace sm4

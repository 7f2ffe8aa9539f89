// Steps the MultiBench converters share: checking the shapes of the numpy arrays read from the
// raw files and copying them to float32 with the non-finite values set to zero.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/numpy_array.h"

namespace sm4 {

// DataError "<array.source>: shape [..], expected <expected>" unless the array has `rank` axes.
void require_rank(const NumpyArray& array, std::size_t rank, const std::string& expected);

// DataError unless the array has `rows` entries on its first axis; `reference` names the array
// that fixed `rows` (its file or key path).
void require_rows(const NumpyArray& array, std::int64_t rows, const std::string& reference);

// The values as float32 with NaN, +-inf and float64 values beyond float32's range set to 0;
// `replaced` is increased by their count.
std::vector<float> finite_float32(const NumpyArray& array, std::int64_t& replaced);

// One value per example from a [N], [N, 1] or [N, 1, 1] array (labels). DataError naming the
// array for any other shape.
std::vector<double> one_value_per_row(const NumpyArray& array);

// `value` as a class index in [0, classes); DataError naming `where` and the example otherwise.
std::int64_t class_index(double value, std::int64_t classes, const std::string& where, std::size_t example);

}  // namespace sm4

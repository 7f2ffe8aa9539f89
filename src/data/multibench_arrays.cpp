#include "data/multibench_arrays.h"

#include <fmt/format.h>

#include <cmath>

#include "core/errors.h"

namespace sm4 {

void require_rank(const NumpyArray& array, std::size_t rank, const std::string& expected) {
    if (array.shape.size() != rank)
        throw DataError(fmt::format("{}: shape {}, expected {}", array.source, shape_text(array.shape), expected));
}

void require_rows(const NumpyArray& array, std::int64_t rows, const std::string& reference) {
    if (array.shape.empty() || array.shape[0] != rows)
        throw DataError(fmt::format("{}: shape {} does not match the {} examples of {}", array.source,
                                    shape_text(array.shape), rows, reference));
}

std::vector<float> finite_float32(const NumpyArray& array, std::int64_t& replaced) {
    std::vector<float> values = array.to_float32();
    for (float& v : values)
        if (!std::isfinite(v)) {
            v = 0.0f;
            ++replaced;
        }
    return values;
}

std::vector<double> one_value_per_row(const NumpyArray& array) {
    bool single = !array.shape.empty() && array.shape.size() <= 3;
    for (std::size_t i = 1; i < array.shape.size(); ++i) single = single && array.shape[i] == 1;
    if (!single)
        throw DataError(fmt::format("{}: shape {}, expected one value per example ([N], [N, 1] or [N, 1, 1])",
                                    array.source, shape_text(array.shape)));
    return array.to_float64();
}

std::int64_t class_index(double value, std::int64_t classes, const std::string& where, std::size_t example) {
    if (!(value == std::floor(value) && value >= 0.0 && value < static_cast<double>(classes)))
        throw DataError(fmt::format("{}: label {} of example {} is not a class in [0, {})", where, value, example,
                                    classes));
    return static_cast<std::int64_t>(value);
}

}  // namespace sm4

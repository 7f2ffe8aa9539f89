// Numeric CSV as the sklearn data files use it (no quoting), with errors naming file and line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sm4 {

struct CsvTable {
    std::vector<std::string> header;      // the first line's fields, when read with a header
    std::vector<std::vector<double>> rows;
    std::vector<std::int64_t> line_numbers;  // 1-based line of each row, for messages
};

// Reads a plain or gzip CSV file. With has_header the first line is kept as text; every other
// non-empty line must be numbers, else DataError names the file, line and field.
CsvTable read_numeric_csv(const std::filesystem::path& path, bool has_header);

// The sklearn bundled-data layout: a header "n_samples,n_features,class names..." then rows of
// n_features values and an integer class. Checks counts, widths and label range.
struct LabelledTable {
    std::vector<std::string> class_names;
    std::int64_t features = 0;
    std::vector<float> values;            // [n_samples, features]
    std::vector<std::int64_t> labels;     // [n_samples]
};
LabelledTable read_sklearn_csv(const std::filesystem::path& path);

}  // namespace sm4

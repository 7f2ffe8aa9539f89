#include "data/csv.h"

#include <fmt/format.h>

#include <cmath>

#include "core/errors.h"
#include "core/text.h"
#include "data/file_bytes.h"

namespace sm4 {
namespace {

double parse_number(std::string_view field, const std::string& where, std::size_t column) {
    field = trim(field);
    std::string text(field);
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size())
        throw DataError(fmt::format("{}: field {} is '{}', expected a number", where, column + 1, text));
    return value;
}

}  // namespace

CsvTable read_numeric_csv(const std::filesystem::path& path, bool has_header) {
    const auto bytes = read_file_bytes(path);
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    CsvTable table;
    std::int64_t line_number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = trim(text.substr(start, end - start));
        start = end + 1;
        ++line_number;
        if (line.empty()) continue;
        const auto fields = split(line, ',');
        if (has_header && table.header.empty() && table.rows.empty()) {
            for (const auto& f : fields) table.header.emplace_back(trim(f));
            continue;
        }
        const std::string where = fmt::format("{}:{}", path.string(), line_number);
        std::vector<double> row;
        row.reserve(fields.size());
        for (std::size_t c = 0; c < fields.size(); ++c) row.push_back(parse_number(fields[c], where, c));
        table.rows.push_back(std::move(row));
        table.line_numbers.push_back(line_number);
    }
    return table;
}

LabelledTable read_sklearn_csv(const std::filesystem::path& path) {
    const CsvTable csv = read_numeric_csv(path, true);
    const std::string where = path.string();
    if (csv.header.size() < 3)
        throw DataError(fmt::format("{}:1: expected a header 'n_samples,n_features,class names...'", where));
    std::int64_t samples = 0, features = 0;
    try {
        samples = std::stoll(csv.header[0]);
        features = std::stoll(csv.header[1]);
    } catch (const std::exception&) {
        throw DataError(fmt::format("{}:1: header starts '{},{}', expected two integers", where, csv.header[0],
                                    csv.header[1]));
    }
    LabelledTable out;
    out.class_names.assign(csv.header.begin() + 2, csv.header.end());
    out.features = features;
    if (static_cast<std::int64_t>(csv.rows.size()) != samples)
        throw DataError(fmt::format("{}: header promises {} rows but the file holds {}", where, samples, csv.rows.size()));
    const auto classes = static_cast<std::int64_t>(out.class_names.size());
    for (std::size_t r = 0; r < csv.rows.size(); ++r) {
        const auto& row = csv.rows[r];
        const std::string line = fmt::format("{}:{}", where, csv.line_numbers[r]);
        if (static_cast<std::int64_t>(row.size()) != features + 1)
            throw DataError(fmt::format("{}: {} fields, expected {} features and a label", line, row.size(), features));
        const double label = row.back();
        if (label != std::floor(label) || label < 0 || label >= static_cast<double>(classes))
            throw DataError(fmt::format("{}: label {} is outside the {} classes [0, {})", line, label, classes, classes));
        out.labels.push_back(static_cast<std::int64_t>(label));
        for (std::int64_t f = 0; f < features; ++f) out.values.push_back(static_cast<float>(row[f]));
    }
    return out;
}

}  // namespace sm4

// The results the paper printed, as facts with their table numbers, read from the project's data
// file (results/published/peng25a.toml; README, "Published numbers"). `sm4 report --paper` puts
// them beside the measured ones.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sm4 {

// One row of a published table: the sm4 method it corresponds to (a variant name of the
// experiment files, e.g. "sm4-no-smoa"), the paper's own name, one value per column (nullopt
// where the paper prints none) and its Delta(%) when printed.
struct PublishedRow {
    std::string method;
    std::string name;
    std::vector<std::optional<double>> values;
    std::optional<double> delta;
    int line = 0;  // where it is in the file
};

// A published table. kind "scores": columns are tasks (sm4's dataset names) and values their
// metrics (accuracy in %, PUSH's MSE); "params_m" / "gflops": the same columns, parameters (M) and
// FLOPs (G) per task; "gradient_blend" (Table 13) and "missing_modality_drop" (Table 14): columns
// "task/modality".
struct PublishedTable {
    int number = 0;
    std::string kind, group, caption;   // group: small, medium or large
    std::vector<std::string> columns;
    std::vector<std::string> metrics;   // scores: one per column (accuracy, mse)
    std::vector<PublishedRow> rows;

    const PublishedRow* find(const std::string& method) const;
};

struct PublishedResults {
    std::filesystem::path path;
    std::string source;                 // the paper, as the file cites it
    std::vector<PublishedTable> tables;

    // The groups' task sets as Table 2 lists them (group -> tasks), in table order.
    std::vector<std::pair<std::string, std::vector<std::string>>> groups() const;
    // Tables of `kind` for `group`, by table number.
    std::vector<const PublishedTable*> tables_of(const std::string& group, const std::string& kind) const;
};

// Parses the file. ConfigError "<file>:<line>: ..." naming the key for bad TOML, a missing or
// mistyped field, a row whose values do not match the columns, a NaN or infinite number, a kind
// not listed above.
PublishedResults read_published_results(const std::filesystem::path& path);

// Where the project's file is: results/published/peng25a.toml in the working folder, else in the
// source tree sm4 was built from (empty path when neither holds it).
std::filesystem::path default_published_results();

}  // namespace sm4

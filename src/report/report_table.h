// A report table (main results, ablation, FLOPs) as printer-neutral records, and the printers
// that render the same records as markdown, CSV or LaTeX (booktabs), as llama-bench does.
#pragma once

#include <string>
#include <vector>

namespace sm4 {

enum class ReportFormat { Markdown, Csv, Latex };

// "markdown", "csv" or "latex" (also "md", "tex"); UsageError naming the value otherwise.
ReportFormat parse_report_format(const std::string& name);
std::string report_format_extension(ReportFormat format);  // "md", "csv", "tex"

// One cell. A statistic cell (has_mean) prints as "mean ± std" (std left out when n < 2), with
// an optional signed delta against a reference; others print `text` (and `raw` in CSV).
struct ReportCell {
    std::string text;        // display text of a plain cell, e.g. "12.3 k"
    std::string raw;         // CSV value of a plain cell (empty: text), e.g. "12345"
    bool has_mean = false;
    double mean = 0.0, std = 0.0;
    int n = 0;               // values the mean is over
    bool has_delta = false;
    double delta = 0.0;      // mean - the reference's mean
    bool best = false;       // bold in markdown and LaTeX, a 1 in the CSV "best" column
};

struct ReportColumn {
    std::string name;        // e.g. "wine accuracy"
    int direction = 0;       // +1 higher is better, -1 lower is better, 0 not a score
};

struct ReportTable {
    std::string title;       // e.g. "Test results"
    std::vector<ReportColumn> columns;
    std::vector<std::vector<ReportCell>> rows;
    std::vector<std::string> notes;  // printed under the table (how values were made, what is missing)
    int digits = 3;          // decimals of statistic cells
};

// The table in `format`, notes included (markdown: lines after the table; CSV: none, the CSV
// holds only records; LaTeX: a tabular inside a table with the notes as comments).
std::string format_report_table(const ReportTable& table, ReportFormat format);

// A plain cell.
ReportCell text_cell(std::string text, std::string raw = "");

}  // namespace sm4

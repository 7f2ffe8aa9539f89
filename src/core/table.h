// Tables as records that know nothing of printing, and the interchangeable printers that render
// them (aligned text, markdown, CSV, LaTeX, JSON), as llama-bench does. Every table sm4 prints
// (runs, sweeps, FLOPs, bench, evaluation, the report, the config keys) is one of these.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/choice.h"

namespace sm4 {

// What machines read (JSON, CSV): nothing, a boolean, an integer, a number or text.
using CellValue = std::variant<std::monostate, bool, std::int64_t, double, std::string>;

// A statistic over runs: mean ± std (std shown when n >= 2), with an optional signed delta
// against a reference.
struct Statistic {
    double mean = 0.0, std = 0.0;
    int n = 0;
    std::optional<double> delta;
};

struct Cell {
    CellValue value;                // JSON and CSV carry this
    std::string text;               // people read this; empty: the value, formatted plainly
    int csv_decimals = -1;          // >= 0: a number's CSV text has this many decimals
    std::optional<Statistic> stat;  // a statistic cell prints as "mean ± std (delta)"
    bool best = false;              // bold in markdown and LaTeX, a 1 in CSV's "<column> best"
};

// A cell showing `text` whose value is `value` (e.g. "1.23 M" for 1234567); a "-" text with no
// value is a missing value (JSON null, an empty CSV field).
Cell text_cell(std::string text);
Cell value_cell(CellValue value, std::string text = "");
Cell number_cell(double value, int decimals);   // "%.{decimals}f"; NaN and infinities as "-", null
Cell count_cell(double value);                   // "1.23 M" (si_count), the value in full
Cell missing_cell();                             // "-", null

struct Column {
    std::string name;        // header, e.g. "moe ms"
    std::string key{};       // JSON key; empty: the name with spaces and punctuation as '_'
    int direction = 0;       // +1 higher is better, -1 lower is better (an arrow in the header)
    bool code = false;       // identifiers: `code` in markdown, \texttt in LaTeX
    int digits = -1;         // decimals of its statistics; -1: the table's
};

struct Table {
    std::string title;                   // printed above the table (markdown, LaTeX caption)
    std::vector<Column> columns;
    std::vector<std::vector<Cell>> rows;  // rows shorter than the columns are padded with nothing
    std::vector<std::string> notes;       // printed under the table (text, markdown), as comments (LaTeX)
    int digits = 3;                       // decimals of statistic cells

    void add_row(std::vector<Cell> row) { rows.push_back(std::move(row)); }
};

enum class TableFormat { Text, Markdown, Csv, Latex, Json };
template <> struct ChoiceNames<TableFormat> {
    static constexpr std::array<std::string_view, 5> names{"text", "markdown", "csv", "latex", "json"};
};

// "txt", "md", "csv", "tex", "json".
std::string table_format_extension(TableFormat format);

// The table in `format`. Text: columns padded to their widest cell, numbers right-aligned, a rule
// under the header, one line per row whatever the cells hold. CSV (RFC 4180): records only, a
// statistic column spread over "<name>", "<name> std", ["<name> delta",] "<name> best". JSON: an
// array of row objects keyed by the columns' keys (a statistic as {"mean", "std", "n", "delta",
// "best"}); json.h's table_json keys the rows by their first column instead.
std::string print_table(const Table& table, TableFormat format);

// One CSV field, quoted (with quotes doubled) when it holds a comma, quote, line break or
// leading/trailing space.
std::string csv_field(const std::string& value);

// A column's JSON key (its key, or its name made into one).
std::string column_key(const Column& column);

}  // namespace sm4

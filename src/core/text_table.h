// Rows of text as a terminal table or as CSV: the printers of `sm4 runs` and `sm4 report`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sm4 {

using TextRow = std::vector<std::string>;

// Columns padded to their widest cell, two spaces apart, with a dashed rule under the header.
// Columns whose cells are all numbers are right-aligned so digits line up; newlines and tabs in a
// cell are shown as \n and \t so one row stays one line. Rows shorter than the header are padded.
std::string format_table(const TextRow& header, const std::vector<TextRow>& rows);

// RFC 4180 CSV with "\n" line ends, readable by pandas.read_csv and spreadsheets.
std::string format_csv(const TextRow& header, const std::vector<TextRow>& rows);

// One CSV field, quoted (with quotes doubled) when it holds a comma, quote, line break or
// leading/trailing space.
std::string csv_field(std::string_view value);

}  // namespace sm4

#include "core/text_table.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace sm4 {
namespace {

// Characters on screen, not bytes: UTF-8 continuation bytes (10xxxxxx) take no column.
std::size_t display_width(std::string_view text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool is_number(const std::string& text) {
    if (text.empty()) return false;
    const char first = text[0];
    if (!std::isdigit(static_cast<unsigned char>(first)) && first != '-' && first != '+' && first != '.') return false;
    char* end = nullptr;
    std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
}

// Missing values say nothing about whether a column holds numbers.
bool is_blank(const std::string& text) { return text.empty() || text == "NULL"; }

std::string one_line(const std::string& text) {
    if (text.find_first_of("\n\r\t") == std::string::npos) return text;
    std::string out;
    for (char c : text) {
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else out += c;
    }
    return out;
}

void append_csv_row(std::string& out, const TextRow& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
        if (i > 0) out += ',';
        out += csv_field(row[i]);
    }
    out += '\n';
}

}  // namespace

std::string format_table(const TextRow& header, const std::vector<TextRow>& rows) {
    const std::size_t columns = header.size();
    // cells[0] is the header, then the rows, each exactly `columns` wide.
    std::vector<std::vector<std::string>> cells;
    cells.reserve(rows.size() + 1);
    auto add_line = [&](const TextRow& row) {
        std::vector<std::string> line(columns);
        for (std::size_t c = 0; c < columns && c < row.size(); ++c) line[c] = one_line(row[c]);
        cells.push_back(std::move(line));
    };
    add_line(header);
    for (const auto& row : rows) add_line(row);

    std::vector<std::size_t> width(columns, 0);
    std::vector<bool> numeric(columns, false);
    for (std::size_t c = 0; c < columns; ++c) {
        bool any_number = false, all_numbers = true;
        for (std::size_t r = 0; r < cells.size(); ++r) {
            width[c] = std::max(width[c], display_width(cells[r][c]));
            if (r == 0 || is_blank(cells[r][c])) continue;
            if (is_number(cells[r][c])) any_number = true;
            else all_numbers = false;
        }
        numeric[c] = any_number && all_numbers;
    }

    auto append_line = [&](std::string& out, const std::vector<std::string>& line) {
        std::string text;
        for (std::size_t c = 0; c < columns; ++c) {
            if (c > 0) text += "  ";
            const std::string padding(width[c] - display_width(line[c]), ' ');
            text += numeric[c] ? padding + line[c] : line[c] + padding;
        }
        text.erase(text.find_last_not_of(' ') + 1);  // no trailing blanks to trip up diff or grep
        out += text + '\n';
    };

    std::string out;
    append_line(out, cells[0]);
    std::vector<std::string> rule(columns);
    for (std::size_t c = 0; c < columns; ++c) rule[c] = std::string(width[c], '-');
    append_line(out, rule);
    for (std::size_t r = 1; r < cells.size(); ++r) append_line(out, cells[r]);
    return out;
}

std::string format_csv(const TextRow& header, const std::vector<TextRow>& rows) {
    std::string out;
    append_csv_row(out, header);
    for (const auto& row : rows) append_csv_row(out, row);
    return out;
}

std::string csv_field(std::string_view value) {
    const bool needs_quotes = value.find_first_of(",\"\n\r") != std::string_view::npos ||
                              (!value.empty() && (value.front() == ' ' || value.back() == ' '));
    if (!needs_quotes) return std::string(value);
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

}  // namespace sm4

#include "core/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "core/json.h"
#include "core/text.h"

namespace sm4 {
namespace {

// ---- what every printer needs -------------------------------------------------------------

const Cell& cell_at(const std::vector<Cell>& row, std::size_t c) {
    static const Cell empty;
    return c < row.size() ? row[c] : empty;
}

// The decimals of column c's statistics: its own, else the table's.
int digits_of(const Table& table, std::size_t c) {
    return c < table.columns.size() && table.columns[c].digits >= 0 ? table.columns[c].digits : table.digits;
}

std::string plain_value(const CellValue& value) {
    struct Visitor {
        std::string operator()(std::monostate) const { return ""; }
        std::string operator()(bool v) const { return v ? "true" : "false"; }
        std::string operator()(std::int64_t v) const { return std::to_string(v); }
        std::string operator()(double v) const { return std::isfinite(v) ? fmt::format("{}", v) : ""; }
        std::string operator()(const std::string& v) const { return v; }
    };
    return std::visit(Visitor{}, value);
}

// How each printer spells a statistic's pieces.
struct StatStyle {
    const char* plus_minus;
    std::string (*number)(const std::string&);  // wraps the signed delta
};

std::string stat_text(const Cell& cell, int digits, const StatStyle& style) {
    const Statistic& s = *cell.stat;
    std::string text = fmt::format("{:.{}f}", s.mean, digits);
    if (s.n >= 2) text += fmt::format(" {} {:.{}f}", style.plus_minus, s.std, digits);
    if (s.delta) text += " (" + style.number(fmt::format("{:+.{}f}", *s.delta, digits)) + ")";
    return text;
}

std::string display(const Cell& cell, int digits, const StatStyle& style) {
    if (cell.stat) return stat_text(cell, digits, style);
    return cell.text.empty() ? plain_value(cell.value) : cell.text;
}

const StatStyle kPlainStyle{"±", [](const std::string& s) { return s; }};

bool is_number_text(const std::string& text) {
    if (text.empty()) return false;
    const char first = text[0];
    if (!std::isdigit(static_cast<unsigned char>(first)) && first != '-' && first != '+' && first != '.') return false;
    char* end = nullptr;
    std::strtod(text.c_str(), &end);
    return end != text.c_str() && (*end == '\0' || *end == ' ' || *end == '%');
}

// Numbers and statistics align right, words left; missing values ("-", "") say nothing.
bool right_aligned(const Table& table, std::size_t c) {
    bool any = false;
    for (const auto& row : table.rows) {
        const Cell& cell = cell_at(row, c);
        if (cell.stat) {
            any = true;
            continue;
        }
        const std::string text = display(cell, digits_of(table, c), kPlainStyle);
        if (text.empty() || text == "-" || text == "NULL") continue;
        if (!is_number_text(text)) return false;
        any = true;
    }
    return any;
}

std::string arrow(int direction, const char* up, const char* down) {
    return direction > 0 ? std::string(" ") + up : direction < 0 ? std::string(" ") + down : "";
}

// ---- text ---------------------------------------------------------------------------------

// Characters on screen, not bytes: UTF-8 continuation bytes (10xxxxxx) take no column.
std::size_t display_width(const std::string& text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

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

std::string format_text(const Table& table) {
    const std::size_t columns = table.columns.size();
    std::vector<std::vector<std::string>> lines;  // the header, then the rows
    lines.emplace_back();
    for (const auto& column : table.columns) lines.back().push_back(one_line(column.name + arrow(column.direction, "↑", "↓")));
    for (const auto& row : table.rows) {
        lines.emplace_back();
        for (std::size_t c = 0; c < columns; ++c) lines.back().push_back(one_line(display(cell_at(row, c), digits_of(table, c), kPlainStyle)));
    }
    std::vector<std::size_t> width(columns, 0);
    std::vector<bool> right(columns);
    for (std::size_t c = 0; c < columns; ++c) {
        for (const auto& line : lines) width[c] = std::max(width[c], display_width(line[c]));
        right[c] = right_aligned(table, c);
    }
    auto render = [&](const std::vector<std::string>& line) {
        std::string text;
        for (std::size_t c = 0; c < columns; ++c) {
            if (c > 0) text += "  ";
            const std::string padding(width[c] - display_width(line[c]), ' ');
            text += right[c] ? padding + line[c] : line[c] + padding;
        }
        text.erase(text.find_last_not_of(' ') + 1);  // no trailing blanks to trip up diff or grep
        return text + '\n';
    };
    std::string out = table.title.empty() ? "" : table.title + "\n";
    out += render(lines[0]);
    std::vector<std::string> rule(columns);
    for (std::size_t c = 0; c < columns; ++c) rule[c] = std::string(width[c], '-');
    out += render(rule);
    for (std::size_t r = 1; r < lines.size(); ++r) out += render(lines[r]);
    for (const auto& note : table.notes) out += note + "\n";
    return out;
}

// ---- markdown -----------------------------------------------------------------------------

std::string markdown_escape(const std::string& text) {
    std::string out;
    for (char ch : text) out += ch == '|' ? std::string("\\|") : ch == '\n' ? std::string(" ") : std::string(1, ch);
    return out;
}

std::string format_markdown(const Table& table) {
    std::string out = table.title.empty() ? "" : "### " + table.title + "\n\n";
    std::string rule = "|";
    out += "|";
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        const Column& column = table.columns[c];
        out += " " + markdown_escape(column.name + arrow(column.direction, "↑", "↓")) + " |";
        rule += right_aligned(table, c) ? "---:|" : "---|";
    }
    out += "\n" + rule + "\n";
    for (const auto& row : table.rows) {
        out += "|";
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            const Cell& cell = cell_at(row, c);
            std::string text = markdown_escape(display(cell, digits_of(table, c), kPlainStyle));
            if (table.columns[c].code && !text.empty() && text != "-") text = "`" + text + "`";
            out += " " + (cell.best ? "**" + text + "**" : text) + " |";
        }
        out += "\n";
    }
    if (!table.notes.empty()) out += "\n";
    for (const auto& note : table.notes) out += note + "\n";
    return out;
}

// ---- CSV ----------------------------------------------------------------------------------

bool has_stat(const Table& table, std::size_t c) {
    return std::any_of(table.rows.begin(), table.rows.end(), [c](const auto& row) { return cell_at(row, c).stat.has_value(); });
}

bool has_delta(const Table& table, std::size_t c) {
    return std::any_of(table.rows.begin(), table.rows.end(), [c](const auto& row) {
        const Cell& cell = cell_at(row, c);
        return cell.stat && cell.stat->delta;
    });
}

void append_csv_row(std::string& out, const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
        if (i > 0) out += ',';
        out += csv_field(row[i]);
    }
    out += '\n';
}

// A plain cell's CSV value: its value when it has one, else its text ("-" is a missing value).
std::string csv_value(const Cell& cell) {
    if (cell.csv_decimals >= 0 && std::holds_alternative<double>(cell.value))
        return fmt::format("{:.{}f}", std::get<double>(cell.value), cell.csv_decimals);
    if (!std::holds_alternative<std::monostate>(cell.value)) return plain_value(cell.value);
    return cell.text == "-" ? "" : cell.text;
}

std::string format_csv(const Table& table) {
    const std::size_t columns = table.columns.size();
    std::vector<bool> stat(columns), delta(columns);
    std::vector<std::string> header;
    for (std::size_t c = 0; c < columns; ++c) {
        stat[c] = has_stat(table, c);
        delta[c] = has_delta(table, c);
        const std::string& name = table.columns[c].name;
        header.push_back(name);
        if (!stat[c]) continue;
        header.push_back(name + " std");
        if (delta[c]) header.push_back(name + " delta");
        header.push_back(name + " best");
    }
    std::string out;
    append_csv_row(out, header);
    for (const auto& row : table.rows) {
        std::vector<std::string> fields;
        for (std::size_t c = 0; c < columns; ++c) {
            const Cell& cell = cell_at(row, c);
            if (!stat[c]) {
                fields.push_back(csv_value(cell));
                continue;
            }
            const Statistic* s = cell.stat ? &*cell.stat : nullptr;
            fields.push_back(s ? fmt::format("{:.6g}", s->mean) : "");
            fields.push_back(s && s->n >= 2 ? fmt::format("{:.6g}", s->std) : "");
            if (delta[c]) fields.push_back(s && s->delta ? fmt::format("{:.6g}", *s->delta) : "");
            fields.push_back(cell.best ? "1" : "0");
        }
        append_csv_row(out, fields);
    }
    return out;
}

// ---- LaTeX --------------------------------------------------------------------------------

std::string latex_escape(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (text.compare(i, 2, "Δ") == 0) {  // the paper's Delta(%), in math mode
            out += "$\\Delta$";
            ++i;
            continue;
        }
        switch (ch) {
            case '&': case '%': case '$': case '#': case '_': case '{': case '}': out += std::string("\\") + ch; break;
            case '~': out += "\\textasciitilde{}"; break;
            case '^': out += "\\textasciicircum{}"; break;
            case '\\': out += "\\textbackslash{}"; break;
            default: out += ch;
        }
    }
    return out;
}

std::string format_latex(const Table& table) {
    std::string out;
    for (const auto& note : table.notes) out += "% " + note + "\n";
    std::string spec;
    for (std::size_t c = 0; c < table.columns.size(); ++c) spec += right_aligned(table, c) ? "r" : "l";
    out += "\\begin{table}[t]\n\\centering\n";
    if (!table.title.empty()) out += "\\caption{" + latex_escape(table.title) + "}\n";
    out += "\\begin{tabular}{" + spec + "}\n\\toprule\n";
    std::vector<std::string> heads;
    for (const auto& column : table.columns)
        heads.push_back(latex_escape(column.name) + arrow(column.direction, "$\\uparrow$", "$\\downarrow$"));
    out += join(heads, " & ") + " \\\\\n\\midrule\n";
    const StatStyle style{"$\\pm$", [](const std::string& s) { return "$" + s + "$"; }};
    for (const auto& row : table.rows) {
        std::vector<std::string> cells;
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            const Cell& cell = cell_at(row, c);
            const int digits = digits_of(table, c);
            std::string text = cell.stat ? stat_text(cell, digits, style) : latex_escape(display(cell, digits, style));
            if (table.columns[c].code && !cell.stat) text = "\\texttt{" + text + "}";
            cells.push_back(cell.best ? "\\textbf{" + text + "}" : text);
        }
        out += join(cells, " & ") + " \\\\\n";
    }
    out += "\\bottomrule\n\\end{tabular}\n\\end{table}\n";
    return out;
}

}  // namespace

Cell text_cell(std::string text) {
    Cell cell;
    if (text != "-") cell.value = text;
    cell.text = std::move(text);
    return cell;
}

Cell value_cell(CellValue value, std::string text) {
    Cell cell;
    cell.value = std::move(value);
    cell.text = std::move(text);
    return cell;
}

Cell number_cell(double value, int decimals) {
    if (!std::isfinite(value)) return missing_cell();
    return value_cell(value, fmt::format("{:.{}f}", value, decimals));
}

Cell count_cell(double value) {
    if (!std::isfinite(value)) return missing_cell();
    return value_cell(value, si_count(value));
}

Cell missing_cell() { return value_cell(std::monostate{}, "-"); }

std::string table_format_extension(TableFormat format) {
    switch (format) {
        case TableFormat::Text: return "txt";
        case TableFormat::Markdown: return "md";
        case TableFormat::Csv: return "csv";
        case TableFormat::Latex: return "tex";
        case TableFormat::Json: return "json";
    }
    return "txt";
}

std::string print_table(const Table& table, TableFormat format) {
    switch (format) {
        case TableFormat::Text: return format_text(table);
        case TableFormat::Markdown: return format_markdown(table);
        case TableFormat::Csv: return format_csv(table);
        case TableFormat::Latex: return format_latex(table);
        case TableFormat::Json: return table_json(table).dump() + "\n";
    }
    return "";
}

std::string csv_field(const std::string& value) {
    const bool needs_quotes = value.find_first_of(",\"\n\r") != std::string::npos ||
                              (!value.empty() && (value.front() == ' ' || value.back() == ' '));
    if (!needs_quotes) return value;
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::string column_key(const Column& column) {
    if (!column.key.empty()) return column.key;
    std::string key;
    for (char c : column.name) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u)) key += static_cast<char>(std::tolower(u));
        else if (!key.empty() && key.back() != '_') key += '_';
    }
    while (!key.empty() && key.back() == '_') key.pop_back();
    return key;
}

}  // namespace sm4

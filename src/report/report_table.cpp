#include "report/report_table.h"

#include <fmt/format.h>

#include <cctype>

#include "core/errors.h"
#include "core/text.h"
#include "core/text_table.h"

namespace sm4 {
namespace {

bool is_stat_column(const ReportTable& table, std::size_t c) {
    for (const auto& row : table.rows)
        if (c < row.size() && row[c].has_mean) return true;
    return false;
}

bool has_delta_column(const ReportTable& table, std::size_t c) {
    for (const auto& row : table.rows)
        if (c < row.size() && row[c].has_delta) return true;
    return false;
}

// Numbers (and statistics) align right, names left.
bool right_aligned(const ReportTable& table, std::size_t c) {
    if (c == 0) return false;
    for (const auto& row : table.rows) {
        if (c >= row.size() || row[c].has_mean || row[c].text.empty() || row[c].text == "-") continue;
        if (!std::isdigit(static_cast<unsigned char>(row[c].text[0]))) return false;
    }
    return true;
}

// "0.850 ± 0.014 (-0.013)" with the pieces each format writes differently.
struct Pieces {
    const char* plus_minus;
    std::string (*number)(const std::string&);  // wraps a signed delta
};

std::string stat_text(const ReportCell& cell, int digits, const Pieces& pieces) {
    if (!cell.has_mean) return cell.text;
    std::string text = fmt::format("{:.{}f}", cell.mean, digits);
    if (cell.n >= 2) text += fmt::format(" {} {:.{}f}", pieces.plus_minus, cell.std, digits);
    if (cell.has_delta) text += " (" + pieces.number(fmt::format("{:+.{}f}", cell.delta, digits)) + ")";
    return text;
}

std::string arrow(int direction, const char* up, const char* down) {
    return direction > 0 ? std::string(" ") + up : direction < 0 ? std::string(" ") + down : "";
}

std::string markdown_cell(std::string text) {
    std::string out;
    for (char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
    return out;
}

std::string format_markdown(const ReportTable& table) {
    std::string out = table.title.empty() ? "" : "### " + table.title + "\n\n";
    std::string rule = "|";
    out += "|";
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        out += " " + markdown_cell(table.columns[c].name + arrow(table.columns[c].direction, "↑", "↓")) + " |";
        rule += right_aligned(table, c) ? "---:|" : "---|";
    }
    out += "\n" + rule + "\n";
    const Pieces pieces{"±", [](const std::string& s) { return s; }};
    for (const auto& row : table.rows) {
        out += "|";
        for (const auto& cell : row) {
            const std::string text = markdown_cell(stat_text(cell, table.digits, pieces));
            out += " " + (cell.best ? "**" + text + "**" : text) + " |";
        }
        out += "\n";
    }
    if (!table.notes.empty()) out += "\n";
    for (const auto& note : table.notes) out += note + "\n";
    return out;
}

std::string format_csv_table(const ReportTable& table) {
    TextRow header;
    std::vector<bool> stat(table.columns.size()), delta(table.columns.size());
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        stat[c] = is_stat_column(table, c);
        delta[c] = has_delta_column(table, c);
        const auto& name = table.columns[c].name;
        header.push_back(name);
        if (!stat[c]) continue;
        header.push_back(name + " std");
        if (delta[c]) header.push_back(name + " delta");
        header.push_back(name + " best");
    }
    std::vector<TextRow> rows;
    for (const auto& row : table.rows) {
        TextRow out;
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            const ReportCell empty;
            const ReportCell& cell = c < row.size() ? row[c] : empty;
            if (!stat[c]) {
                out.push_back(cell.raw.empty() ? cell.text : cell.raw);
                continue;
            }
            out.push_back(cell.has_mean ? fmt::format("{:.6g}", cell.mean) : "");
            out.push_back(cell.has_mean && cell.n >= 2 ? fmt::format("{:.6g}", cell.std) : "");
            if (delta[c]) out.push_back(cell.has_delta ? fmt::format("{:.6g}", cell.delta) : "");
            out.push_back(cell.best ? "1" : "0");
        }
        rows.push_back(std::move(out));
    }
    return format_csv(header, rows);
}

std::string latex_escape(const std::string& text) {
    std::string out;
    for (char ch : text) {
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

std::string format_latex(const ReportTable& table) {
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
    const Pieces pieces{"$\\pm$", [](const std::string& s) { return "$" + s + "$"; }};
    for (const auto& row : table.rows) {
        std::vector<std::string> cells;
        for (const auto& cell : row) {
            const std::string text = cell.has_mean ? stat_text(cell, table.digits, pieces) : latex_escape(cell.text);
            cells.push_back(cell.best ? "\\textbf{" + text + "}" : text);
        }
        out += join(cells, " & ") + " \\\\\n";
    }
    out += "\\bottomrule\n\\end{tabular}\n\\end{table}\n";
    return out;
}

}  // namespace

ReportFormat parse_report_format(const std::string& name) {
    if (name == "markdown" || name == "md") return ReportFormat::Markdown;
    if (name == "csv") return ReportFormat::Csv;
    if (name == "latex" || name == "tex") return ReportFormat::Latex;
    throw UsageError(fmt::format("--format: expected markdown, csv or latex, got '{}'", name));
}

std::string report_format_extension(ReportFormat format) {
    switch (format) {
        case ReportFormat::Markdown: return "md";
        case ReportFormat::Csv: return "csv";
        case ReportFormat::Latex: return "tex";
    }
    return "txt";
}

std::string format_report_table(const ReportTable& table, ReportFormat format) {
    switch (format) {
        case ReportFormat::Markdown: return format_markdown(table);
        case ReportFormat::Csv: return format_csv_table(table);
        case ReportFormat::Latex: return format_latex(table);
    }
    return "";
}

ReportCell text_cell(std::string text, std::string raw) {
    ReportCell cell;
    cell.text = std::move(text);
    cell.raw = std::move(raw);
    return cell;
}

}  // namespace sm4

#include "report/plot_charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace sm4 {
namespace {

constexpr int kScale = 2;           // text scale: 12 px per glyph
constexpr Rgb kBlack{0, 0, 0}, kGrid{225, 225, 225}, kDark{40, 40, 40}, kMuted{130, 130, 130};

double tick_step(double lo, double hi, int count) {
    const double raw = (hi - lo) / std::max(1, count);
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (double f : {1.0, 2.0, 5.0})
        if (raw <= f * power * (1 + 1e-9)) return f * power;
    return 10.0 * power;
}

std::string tick_label(double value, double step) {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    if (std::fabs(value) < step * 1e-6) value = 0.0;  // no "-0.0"
    return fmt::format("{:.{}f}", value, decimals);
}

double text_height() { return kGlyphHeight * kScale; }

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int count) {
    if (!(hi > lo)) return {lo};
    const double step = tick_step(lo, hi, count);
    std::vector<double> ticks;
    for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(t);
    return ticks;
}

ChartSize chart_size(const LineChart& chart) { return {chart.width, chart.height}; }

namespace {

void draw_marker(Painter& p, Marker marker, double x, double y, Rgb color) {
    constexpr double r = 4.5;
    switch (marker) {
        case Marker::None: return;
        case Marker::Square: p.rect(x - r, y - r, 2 * r, 2 * r, color); return;
        case Marker::Cross: p.line(x - r, y - r, x + r, y + r, color, 2), p.line(x - r, y + r, x + r, y - r, color, 2); return;
        case Marker::Plus: p.line(x - r - 1, y, x + r + 1, y, color, 2), p.line(x, y - r - 1, x, y + r + 1, color, 2); return;
        case Marker::Diamond:
            p.line(x - r, y, x, y - r, color, 2), p.line(x, y - r, x + r, y, color, 2);
            p.line(x + r, y, x, y + r, color, 2), p.line(x, y + r, x - r, y, color, 2);
            return;
    }
}

bool has_values(const LineSeries& s) {
    return std::any_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); });
}

// A legend entry's lines: the name; a series with no line keeps a long "name (why)" narrow by
// putting the bracket on a line of its own.
std::vector<std::string> legend_lines(const LineSeries& s) {
    const auto bracket = s.name.find(" (");
    if (has_values(s) || bracket == std::string::npos) return {s.name};
    return {s.name.substr(0, bracket), "  " + s.name.substr(bracket + 1)};
}

// About 16 marked points per series; series k of n starts k/n of a stride later, so the marks of
// lines that coincide interleave instead of covering each other.
void draw_markers(Painter& p, const LineSeries& s, std::size_t k, std::size_t n, Rgb color,
                  const std::function<std::pair<double, double>(std::size_t)>& at) {
    if (s.marker == Marker::None || s.x.empty()) return;
    const std::size_t stride = std::max<std::size_t>(1, (s.x.size() + 15) / 16);
    for (std::size_t i = stride * k / std::max<std::size_t>(1, n); i < s.x.size(); i += stride)
        if (std::isfinite(s.y[i])) draw_marker(p, s.marker, at(i).first, at(i).second, color);
}

}  // namespace

void draw_chart(const LineChart& chart, Painter& p) {
    const ChartSize size = chart_size(chart);
    std::size_t longest = 0;
    for (const auto& s : chart.series)
        for (const auto& line : legend_lines(s)) longest = std::max(longest, line.size());
    const double legend_width = 50 + text_width(std::string(longest, 'x'), kScale);
    const double left = 90, top = 70, right = size.width - legend_width - 30, bottom = size.height - 64;
    double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
    for (const auto& s : chart.series)
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            if (!std::isfinite(s.y[i])) continue;
            x_lo = std::min(x_lo, s.x[i]), x_hi = std::max(x_hi, s.x[i]);
            y_lo = std::min(y_lo, s.y[i]), y_hi = std::max(y_hi, s.y[i]);
        }
    if (!std::isfinite(x_lo)) x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
    if (x_hi <= x_lo) x_hi = x_lo + 1;
    if (y_hi - y_lo < 1e-9) y_lo -= 0.05 + std::fabs(y_lo) * 0.05, y_hi += 0.05 + std::fabs(y_hi) * 0.05;
    const double y_step = tick_step(y_lo, y_hi, 5);  // widen the y range to whole ticks
    // float32 trace values sit a hair off the ticks: round within 1e-6 of a step
    y_lo = std::floor(y_lo / y_step + 1e-6) * y_step, y_hi = std::ceil(y_hi / y_step - 1e-6) * y_step;
    const auto px = [&](double x) { return left + (x - x_lo) / (x_hi - x_lo) * (right - left); };
    const auto py = [&](double y) { return bottom - (y - y_lo) / (y_hi - y_lo) * (bottom - top); };

    p.text(size.width / 2.0, 22, chart.title, kBlack, kScale, TextAnchor::Middle);
    p.text(left - 60, top - 22, chart.y_label, kDark, kScale, TextAnchor::Start);
    p.text((left + right) / 2, size.height - 20, chart.x_label, kDark, kScale, TextAnchor::Middle);
    for (double t : nice_ticks(y_lo, y_hi, 5)) {
        p.line(left, py(t), right, py(t), kGrid, 1);
        p.line(left - 6, py(t), left, py(t), kBlack, 1);
        p.text(left - 10, py(t), tick_label(t, y_step), kDark, kScale, TextAnchor::End);
    }
    const double x_step = tick_step(x_lo, x_hi, 6);
    for (double t : nice_ticks(x_lo, x_hi, 6)) {
        p.line(px(t), top, px(t), bottom, kGrid, 1);
        p.line(px(t), bottom, px(t), bottom + 6, kBlack, 1);
        p.text(px(t), bottom + 8 + text_height() / 2, tick_label(t, x_step), kDark, kScale, TextAnchor::Middle);
    }
    p.line(left, top, left, bottom, kBlack, 1);
    p.line(left, bottom, right, bottom, kBlack, 1);

    double ly = top + 10;  // the legend's next line
    for (std::size_t k = 0; k < chart.series.size(); ++k) {
        const auto& s = chart.series[k];
        const Rgb color = palette_color(s.color == kAutoColor ? k : s.color);
        std::vector<std::pair<double, double>> run;
        for (std::size_t i = 0; i <= s.x.size(); ++i) {
            if (i < s.x.size() && std::isfinite(s.y[i])) {
                run.emplace_back(px(s.x[i]), py(s.y[i]));
            } else if (!run.empty()) {
                if (run.size() == 1 && s.marker == Marker::None)  // a lone point: a mark, as a line of one point shows nothing
                    draw_marker(p, Marker::Square, run[0].first, run[0].second, color);
                else if (run.size() > 1) p.polyline(run, color, s.width);
                run.clear();
            }
        }
        draw_markers(p, s, k, chart.series.size(), color, [&](std::size_t i) { return std::pair{px(s.x[i]), py(s.y[i])}; });
        if (!has_values(s)) {  // nothing drawn: the name alone, greyed
            for (const auto& line : legend_lines(s)) {
                p.text(right + 20, ly, line, kMuted, kScale, TextAnchor::Start);
                ly += text_height() + 4;
            }
            ly += 6;
            continue;
        }
        p.line(right + 20, ly, right + 44, ly, color, 3);
        draw_marker(p, s.marker, right + 32, ly, color);
        p.text(right + 52, ly, s.name, kBlack, kScale, TextAnchor::Start);
        ly += text_height() + 10;
    }
}

namespace {

// Below the cells: column labels, [group names on up to two lines,] the x label.
int bottom_margin(const Heatmap& map) { return map.column_groups.empty() ? 76 : 76 + 56; }

// `name` at scale 2 on one line, else split after its '/' on two, else at scale 1, else cut to fit
// `width` pixels (".." marks the cut).
void fitted_text(Painter& p, double x, double y, const std::string& name, double width) {
    const auto fits = [&](const std::string& text, int scale) { return text_width(text, scale) + 4 <= width; };
    if (fits(name, kScale)) return p.text(x, y, name, kBlack, kScale, TextAnchor::Middle);
    const auto slash = name.find('/');
    if (slash != std::string::npos && fits(name.substr(0, slash + 1), kScale) && fits(name.substr(slash + 1), kScale)) {
        p.text(x, y, name.substr(0, slash + 1), kBlack, kScale, TextAnchor::Middle);
        return p.text(x, y + text_height() + 4, name.substr(slash + 1), kBlack, kScale, TextAnchor::Middle);
    }
    if (fits(name, 1)) return p.text(x, y, name, kBlack, 1, TextAnchor::Middle);
    const auto room = static_cast<std::size_t>(std::max(0.0, (width - 4) / text_width("x", 1)));
    p.text(x, y, room > 2 ? name.substr(0, room - 2) + ".." : name.substr(0, room), kBlack, 1, TextAnchor::Middle);
}

// White separators between the groups' columns, a bracket under each and its name below.
void draw_column_groups(const Heatmap& map, Painter& p, double left, double cell_w, double top, double bottom) {
    const double bracket_y = bottom + 8 + text_height() + 6, name_y = bracket_y + 6 + text_height() / 2;
    std::size_t first = 0;
    for (std::size_t g = 0; g < map.column_groups.size(); ++g) {
        const double x0 = left + first * cell_w, x1 = x0 + map.column_groups[g].columns * cell_w;
        if (g > 0) p.line(x0, top, x0, bottom, {255, 255, 255}, 4);
        p.line(x0 + 3, bracket_y, x1 - 3, bracket_y, kDark, 2);
        p.line(x0 + 3, bracket_y - 5, x0 + 3, bracket_y, kDark, 2);
        p.line(x1 - 3, bracket_y - 5, x1 - 3, bracket_y, kDark, 2);
        fitted_text(p, (x0 + x1) / 2, name_y, map.column_groups[g].name, x1 - x0);
        first += map.column_groups[g].columns;
    }
}

}  // namespace

ChartSize chart_size(const Heatmap& map) {
    const int rows = static_cast<int>(map.values.size());
    return {960, 70 + std::max(1, rows) * 48 + bottom_margin(map)};
}

void draw_chart(const Heatmap& map, Painter& p) {
    const ChartSize size = chart_size(map);
    std::size_t longest = 0;
    for (const auto& label : map.row_labels) longest = std::max(longest, label.size());
    const double left = 24 + text_width(std::string(longest, 'x'), kScale), top = 70;
    const double right = size.width - 150, bottom = size.height - bottom_margin(map);
    const std::size_t rows = map.values.size(), columns = rows ? map.values[0].size() : 0;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& row : map.values)
        for (double v : row)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (hi - lo < 1e-12) hi = lo + 1e-12;
    const double cell_w = (right - left) / std::max<std::size_t>(1, columns), cell_h = (bottom - top) / std::max<std::size_t>(1, rows);

    p.text(size.width / 2.0, 22, map.title, kBlack, kScale, TextAnchor::Middle);
    p.text(8, top - 22, map.y_label, kDark, kScale, TextAnchor::Start);
    p.text((left + right) / 2, size.height - 18, map.x_label, kDark, kScale, TextAnchor::Middle);
    for (std::size_t r = 0; r < rows; ++r) {
        const double y = top + r * cell_h;
        p.text(left - 10, y + cell_h / 2, r < map.row_labels.size() ? map.row_labels[r] : "", kDark, kScale, TextAnchor::End);
        for (std::size_t c = 0; c < columns; ++c) {
            const double v = map.values[r][c];
            const Rgb color = sequential_color((v - lo) / (hi - lo));
            p.rect(left + c * cell_w, y, cell_w, cell_h, color);
            const std::string label = std::isfinite(v) ? fmt::format("{:.3f}", v) : "-";
            if (text_width(label, kScale) + 6 > cell_w) continue;
            const bool light = 0.299 * color.r + 0.587 * color.g + 0.114 * color.b > 140;
            p.text(left + (c + 0.5) * cell_w, y + cell_h / 2, label, light ? kBlack : Rgb{255, 255, 255}, kScale,
                   TextAnchor::Middle);
        }
    }
    std::size_t widest = 1;
    for (const auto& label : map.column_labels) widest = std::max(widest, label.size());
    // label every k-th column when the labels would touch (many experts)
    const auto every = static_cast<std::size_t>(std::ceil((text_width(std::string(widest, 'x'), kScale) + 8) / cell_w));
    for (std::size_t c = 0; c < columns; c += std::max<std::size_t>(1, every))
        p.text(left + (c + 0.5) * cell_w, bottom + 8 + text_height() / 2,
               c < map.column_labels.size() ? map.column_labels[c] : "", kDark, kScale, TextAnchor::Middle);
    draw_column_groups(map, p, left, cell_w, top, bottom);
    // colour bar: 40 bands from hi (top) to lo, labelled at both ends
    const double bar_x = right + 30, bands = 40;
    for (int i = 0; i < bands; ++i)
        p.rect(bar_x, top + i * (bottom - top) / bands, 20, (bottom - top) / bands + 1, sequential_color(1.0 - i / (bands - 1)));
    p.text(bar_x + 26, top + 6, fmt::format("{:.3f}", hi), kDark, kScale, TextAnchor::Start);
    p.text(bar_x + 26, bottom - 6, fmt::format("{:.3f}", lo), kDark, kScale, TextAnchor::Start);
    p.text(bar_x + 10, top - 22, map.value_label, kDark, kScale, TextAnchor::Middle);
}

}  // namespace sm4

#include "report/plot_charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace sm4 {
namespace {

constexpr int kScale = 2;           // text scale: 12 px per glyph
constexpr Rgb kBlack{0, 0, 0}, kGrid{225, 225, 225}, kDark{40, 40, 40};
constexpr int kLineWidth = 2;

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

ChartSize chart_size(const LineChart&) { return {960, 560}; }

void draw_chart(const LineChart& chart, Painter& p) {
    const ChartSize size = chart_size(chart);
    std::size_t longest = 0;
    for (const auto& s : chart.series) longest = std::max(longest, s.name.size());
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

    for (std::size_t k = 0; k < chart.series.size(); ++k) {
        const auto& s = chart.series[k];
        std::vector<std::pair<double, double>> run;
        for (std::size_t i = 0; i <= s.x.size(); ++i) {
            if (i < s.x.size() && std::isfinite(s.y[i])) {
                run.emplace_back(px(s.x[i]), py(s.y[i]));
            } else if (!run.empty()) {
                p.polyline(run, palette_color(k), kLineWidth);
                run.clear();
            }
        }
        const double ly = top + 10 + k * (text_height() + 10);
        p.line(right + 20, ly, right + 44, ly, palette_color(k), 3);
        p.text(right + 52, ly, s.name, kBlack, kScale, TextAnchor::Start);
    }
}

ChartSize chart_size(const Heatmap& map) {
    const int rows = static_cast<int>(map.values.size());
    return {960, 70 + std::max(1, rows) * 48 + 76};
}

void draw_chart(const Heatmap& map, Painter& p) {
    const ChartSize size = chart_size(map);
    std::size_t longest = 0;
    for (const auto& label : map.row_labels) longest = std::max(longest, label.size());
    const double left = 24 + text_width(std::string(longest, 'x'), kScale), top = 70;
    const double right = size.width - 150, bottom = size.height - 76;
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
    // colour bar: 40 bands from hi (top) to lo, labelled at both ends
    const double bar_x = right + 30, bands = 40;
    for (int i = 0; i < bands; ++i)
        p.rect(bar_x, top + i * (bottom - top) / bands, 20, (bottom - top) / bands + 1, sequential_color(1.0 - i / (bands - 1)));
    p.text(bar_x + 26, top + 6, fmt::format("{:.3f}", hi), kDark, kScale, TextAnchor::Start);
    p.text(bar_x + 26, bottom - 6, fmt::format("{:.3f}", lo), kDark, kScale, TextAnchor::Start);
    p.text(bar_x + 10, top - 22, map.value_label, kDark, kScale, TextAnchor::Middle);
}

}  // namespace sm4

#include "report/plot_grid.h"

#include <algorithm>

namespace sm4 {
namespace {

constexpr int kTitleBand = 44;  // pixels above the first row

// Draws through another painter shifted by (dx, dy): lets a chart's layout code draw a panel.
class ShiftedPainter : public Painter {
public:
    ShiftedPainter(Painter& inner, double dx, double dy) : inner_(inner), dx_(dx), dy_(dy) {}
    void rect(double x, double y, double w, double h, Rgb fill) override { inner_.rect(x + dx_, y + dy_, w, h, fill); }
    void line(double x0, double y0, double x1, double y1, Rgb color, int width) override {
        inner_.line(x0 + dx_, y0 + dy_, x1 + dx_, y1 + dy_, color, width);
    }
    void polyline(const std::vector<std::pair<double, double>>& points, Rgb color, int width) override {
        std::vector<std::pair<double, double>> moved;
        for (const auto& [x, y] : points) moved.emplace_back(x + dx_, y + dy_);
        inner_.polyline(moved, color, width);
    }
    void text(double x, double y, const std::string& text, Rgb color, int scale, TextAnchor anchor) override {
        inner_.text(x + dx_, y + dy_, text, color, scale, anchor);
    }

private:
    Painter& inner_;
    double dx_, dy_;
};

int row_height(const std::vector<LineChart>& row) {
    int height = 0;
    for (const auto& panel : row) height = std::max(height, panel.height);
    return height;
}

}  // namespace

ChartSize chart_size(const ChartGrid& grid) {
    ChartSize size{0, kTitleBand};
    for (const auto& row : grid.rows) {
        int width = 0;
        for (const auto& panel : row) width += panel.width;
        size.width = std::max(size.width, width);
        size.height += row_height(row);
    }
    size.width = std::max(size.width, 320);
    return size;
}

void draw_chart(const ChartGrid& grid, Painter& painter) {
    const ChartSize size = chart_size(grid);
    painter.text(size.width / 2.0, kTitleBand / 2.0, grid.title, {0, 0, 0}, 2, TextAnchor::Middle);
    double y = kTitleBand;
    for (const auto& row : grid.rows) {
        double x = 0;
        for (const auto& panel : row) {
            ShiftedPainter shifted(painter, x, y);
            draw_chart(panel, shifted);
            x += panel.width;
        }
        y += row_height(row);
        if (&row != &grid.rows.back()) painter.line(16, y, size.width - 16, y, {200, 200, 200}, 1);
    }
}

}  // namespace sm4

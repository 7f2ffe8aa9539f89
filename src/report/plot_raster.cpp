#include "report/plot_raster.h"

#include <fmt/format.h>
#include <png.h>

#include <cmath>
#include <cstdlib>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "report/plot_font.h"

namespace sm4 {

RasterPainter::RasterPainter(int width, int height)
    : width_(width), height_(height), pixels_(static_cast<std::size_t>(width) * height * 3, 255) {}

void RasterPainter::set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
    std::uint8_t* p = &pixels_[(static_cast<std::size_t>(y) * width_ + x) * 3];
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
}

void RasterPainter::dot(int x, int y, Rgb color, int width) {
    const int lo = -(width - 1) / 2, hi = width / 2;
    for (int dy = lo; dy <= hi; ++dy)
        for (int dx = lo; dx <= hi; ++dx) set(x + dx, y + dy, color);
}

void RasterPainter::rect(double x, double y, double w, double h, Rgb fill) {
    const int x0 = static_cast<int>(std::lround(x)), y0 = static_cast<int>(std::lround(y));
    const int x1 = static_cast<int>(std::lround(x + w)), y1 = static_cast<int>(std::lround(y + h));
    for (int yy = y0; yy < y1; ++yy)
        for (int xx = x0; xx < x1; ++xx) set(xx, yy, fill);
}

void RasterPainter::line(double fx0, double fy0, double fx1, double fy1, Rgb color, int width) {
    // Bresenham, stamping a width x width square at every step
    int x0 = static_cast<int>(std::lround(fx0)), y0 = static_cast<int>(std::lround(fy0));
    const int x1 = static_cast<int>(std::lround(fx1)), y1 = static_cast<int>(std::lround(fy1));
    const int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    const int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int error = dx + dy;
    while (true) {
        dot(x0, y0, color, width);
        if (x0 == x1 && y0 == y1) break;
        const int e2 = 2 * error;
        if (e2 >= dy) error += dy, x0 += sx;
        if (e2 <= dx) error += dx, y0 += sy;
    }
}

void RasterPainter::polyline(const std::vector<std::pair<double, double>>& points, Rgb color, int width) {
    for (std::size_t i = 1; i < points.size(); ++i)
        line(points[i - 1].first, points[i - 1].second, points[i].first, points[i].second, color, width);
    if (points.size() == 1) dot(static_cast<int>(points[0].first), static_cast<int>(points[0].second), color, width + 2);
}

void RasterPainter::text(double x, double y, const std::string& text, Rgb color, int scale, TextAnchor anchor) {
    const int width = text_width(text, scale);
    double left = x;
    if (anchor == TextAnchor::Middle) left -= width / 2.0;
    if (anchor == TextAnchor::End) left -= width;
    const int x0 = static_cast<int>(std::lround(left));
    const int top = static_cast<int>(std::lround(y - 3.5 * scale));  // rows 0-6 centred on y
    for (std::size_t i = 0; i < text.size(); ++i)
        for (int row = 0; row < 8; ++row)
            for (int column = 0; column < 5; ++column)
                if (glyph_pixel(text[i], column, row))
                    rect(x0 + static_cast<int>(i) * kGlyphAdvance * scale + column * scale, top + row * scale, scale, scale,
                         color);
}

void RasterPainter::save_png(const std::filesystem::path& path) const {
    AtomicFile output(path);
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = static_cast<png_uint_32>(width_);
    image.height = static_cast<png_uint_32>(height_);
    image.format = PNG_FORMAT_RGB;
    if (!png_image_write_to_file(&image, output.temp_path().c_str(), 0, pixels_.data(), width_ * 3, nullptr))
        throw IoError(fmt::format("{}: cannot write the PNG: {}", path.string(), image.message));
    output.commit();
}

}  // namespace sm4

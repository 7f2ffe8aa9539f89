// A Painter that draws into an RGB bitmap (no anti-aliasing; text in the built-in 5 x 8 face),
// saved as PNG with libpng.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "report/plot_painter.h"

namespace sm4 {

class RasterPainter : public Painter {
public:
    RasterPainter(int width, int height);  // white
    void rect(double x, double y, double w, double h, Rgb fill) override;
    void line(double x0, double y0, double x1, double y1, Rgb color, int width) override;
    void polyline(const std::vector<std::pair<double, double>>& points, Rgb color, int width) override;
    void text(double x, double y, const std::string& text, Rgb color, int scale, TextAnchor anchor) override;

    int width() const { return width_; }
    int height() const { return height_; }
    const std::vector<std::uint8_t>& pixels() const { return pixels_; }  // [height, width, 3] RGB

    // Writes an 8-bit RGB PNG atomically; IoError naming the file when it cannot.
    void save_png(const std::filesystem::path& path) const;

private:
    void set(int x, int y, Rgb color);
    void dot(int x, int y, Rgb color, int width);
    int width_, height_;
    std::vector<std::uint8_t> pixels_;
};

}  // namespace sm4

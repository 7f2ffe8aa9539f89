// Pillow's bilinear resampling (libImaging/Resample.c), for 8-bit images: per output pixel a
// window of input pixels weighted by a triangle filter stretched by the scale factor when
// shrinking; weights normalised in double, then fixed point with 22 fractional bits; the
// horizontal pass runs first and its 8-bit result feeds the vertical pass.
#include <algorithm>
#include <cmath>

#include "core/errors.h"
#include "formats/image_file.h"

namespace sm4 {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

struct Coefficients {
    int window = 0;                  // weights per output pixel
    std::vector<int> first, count;   // input span of each output pixel
    std::vector<std::int32_t> weights;  // [out, window], fixed point
};

double triangle(double x) {
    x = std::fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

Coefficients coefficients(std::int64_t in_size, std::int64_t out_size) {
    const double scale = static_cast<double>(static_cast<float>(in_size)) / static_cast<double>(out_size);
    const double filter_scale = std::max(scale, 1.0);
    const double support = 1.0 * filter_scale;
    Coefficients c;
    c.window = static_cast<int>(std::ceil(support)) * 2 + 1;
    c.first.resize(static_cast<std::size_t>(out_size));
    c.count.resize(c.first.size());
    c.weights.assign(c.first.size() * static_cast<std::size_t>(c.window), 0);
    std::vector<double> w(static_cast<std::size_t>(c.window));
    for (std::int64_t xx = 0; xx < out_size; ++xx) {
        const double center = (static_cast<double>(xx) + 0.5) * scale;
        const double inverse = 1.0 / filter_scale;
        int xmin = static_cast<int>(center - support + 0.5);
        xmin = std::max(xmin, 0);
        int xmax = static_cast<int>(center + support + 0.5);
        xmax = static_cast<int>(std::min<std::int64_t>(xmax, in_size)) - xmin;
        double total = 0.0;
        for (int x = 0; x < xmax; ++x) {
            w[static_cast<std::size_t>(x)] = triangle((x + xmin - center + 0.5) * inverse);
            total += w[static_cast<std::size_t>(x)];
        }
        std::int32_t* k = c.weights.data() + xx * c.window;
        for (int x = 0; x < xmax; ++x) {
            const double v = total != 0.0 ? w[static_cast<std::size_t>(x)] / total : w[static_cast<std::size_t>(x)];
            k[x] = static_cast<std::int32_t>(v < 0 ? -0.5 + v * (1 << kPrecisionBits) : 0.5 + v * (1 << kPrecisionBits));
        }
        c.first[static_cast<std::size_t>(xx)] = xmin;
        c.count[static_cast<std::size_t>(xx)] = xmax;
    }
    return c;
}

std::uint8_t clip8(std::int64_t value) {
    return static_cast<std::uint8_t>(std::clamp<std::int64_t>(value >> kPrecisionBits, 0, 255));
}

// The two passes: ImagingResampleHorizontal_8bpc and ImagingResampleVertical_8bpc.
RgbImage horizontal(const RgbImage& in, std::int64_t width) {
    const Coefficients c = coefficients(in.width, width);
    RgbImage out{width, in.height, std::vector<std::uint8_t>(static_cast<std::size_t>(width * in.height * 3))};
    for (std::int64_t y = 0; y < in.height; ++y)
        for (std::int64_t xx = 0; xx < width; ++xx) {
            const std::int32_t* k = c.weights.data() + xx * c.window;
            const std::uint8_t* row = in.pixels.data() + (y * in.width + c.first[static_cast<std::size_t>(xx)]) * 3;
            for (int ch = 0; ch < 3; ++ch) {
                std::int64_t sum = 1 << (kPrecisionBits - 1);
                for (int x = 0; x < c.count[static_cast<std::size_t>(xx)]; ++x)
                    sum += static_cast<std::int32_t>(row[x * 3 + ch]) * k[x];
                out.pixels[static_cast<std::size_t>((y * width + xx) * 3 + ch)] = clip8(static_cast<std::int32_t>(sum));
            }
        }
    return out;
}

RgbImage vertical(const RgbImage& in, std::int64_t height) {
    const Coefficients c = coefficients(in.height, height);
    RgbImage out{in.width, height, std::vector<std::uint8_t>(static_cast<std::size_t>(in.width * height * 3))};
    for (std::int64_t yy = 0; yy < height; ++yy) {
        const std::int32_t* k = c.weights.data() + yy * c.window;
        const std::int64_t first = c.first[static_cast<std::size_t>(yy)];
        for (std::int64_t x = 0; x < in.width; ++x)
            for (int ch = 0; ch < 3; ++ch) {
                std::int64_t sum = 1 << (kPrecisionBits - 1);
                for (int y = 0; y < c.count[static_cast<std::size_t>(yy)]; ++y)
                    sum += static_cast<std::int32_t>(in.pixels[static_cast<std::size_t>(((first + y) * in.width + x) * 3 + ch)]) * k[y];
                out.pixels[static_cast<std::size_t>((yy * in.width + x) * 3 + ch)] = clip8(static_cast<std::int32_t>(sum));
            }
    }
    return out;
}

}  // namespace

RgbImage resize_bilinear(const RgbImage& image, std::int64_t width, std::int64_t height) {
    if (width < 1 || height < 1 || image.width < 1 || image.height < 1)
        throw DataError("resize_bilinear: image sizes must be positive");
    RgbImage out = image;
    if (width != image.width) out = horizontal(out, width);
    if (height != image.height) out = vertical(out, height);
    return out;
}

}  // namespace sm4

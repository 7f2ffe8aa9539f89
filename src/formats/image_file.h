// JPEG and PNG files decoded to 8-bit RGB with libjpeg and libpng (no LibTorch, no Python), and
// resized the way Pillow's Image.resize(size, BILINEAR) does it, so MultiBench's
// `Image.open(f).convert("RGB")` + torchvision `Resize` + `ToTensor` are reproduced bit for bit.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace sm4 {

// An 8-bit RGB picture, rows top to bottom, pixels interleaved: pixels[(y * width + x) * 3 + c].
struct RgbImage {
    std::int64_t width = 0, height = 0;
    std::vector<std::uint8_t> pixels;  // [height, width, 3]
};

// Decodes a JPEG (grayscale, RGB or YCbCr; libjpeg's default islow DCT and fancy upsampling, as
// Pillow decodes) or a PNG (any bit depth and colour type: palettes expanded, grey replicated,
// alpha dropped, 16-bit samples cut to their high byte, as Pillow's convert("RGB") does). The
// format is told by the file's signature, not its name. DataError naming the file for a
// truncated or corrupt file (a JPEG ending early too, which libjpeg alone only warns about),
// CMYK JPEGs and anything else; IoError when the file cannot be read.
RgbImage read_rgb_image(const std::filesystem::path& path);

// Pillow's resize with the BILINEAR filter (a triangle filter widened by the scale when
// shrinking, i.e. antialiased), separable, horizontal pass first, 8-bit fixed-point weights with
// 22 fractional bits and rounding, as libImaging/Resample.c computes it. width, height >= 1.
RgbImage resize_bilinear(const RgbImage& image, std::int64_t width, std::int64_t height);

}  // namespace sm4

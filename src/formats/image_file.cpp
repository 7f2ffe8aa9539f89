// Decoding with libjpeg and libpng. Both report fatal errors through longjmp; every setjmp below
// sits in a function whose C++ objects are all created before it and outlive the jump, so no
// destructor is skipped, and the error text is turned into a DataError after the jump.
#include "formats/image_file.h"

// clang-format off
#include <cstdio>
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
// clang-format on
#include <fmt/format.h>

#include <csetjmp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "core/errors.h"

namespace sm4 {
namespace {

// Why an image whose header claims width x height cannot be decoded into memory, or nothing:
// refused above 1 GiB of RGB bytes, or above 2000 times the file's size (beyond what JPEG or
// PNG compress a picture to: a header cannot make sm4 allocate what the file could not hold).
std::optional<std::string> oversized(const std::filesystem::path& path, std::uint64_t width, std::uint64_t height,
                                     std::size_t file_size) {
    constexpr std::uint64_t kMaxImageBytes = std::uint64_t{1} << 30;
    constexpr std::uint64_t kLargestRatio = 2000;
    const std::uint64_t needed = width * height * 3;  // each below 2^32: no overflow
    if (needed <= kMaxImageBytes && needed <= std::uint64_t{file_size} * kLargestRatio) return std::nullopt;
    return fmt::format("{}: the header claims {} x {} pixels ({} bytes of RGB) from a {}-byte file; refusing to "
                       "decode it (limits: 1 GiB, 2000x the file)",
                       path.string(), width, height, needed, file_size);
}

std::vector<std::uint8_t> file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(fmt::format("{}: cannot open the image", path.string()));
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct JpegError {
    jpeg_error_mgr manager;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jpeg_fail(j_common_ptr info) {
    auto* error = reinterpret_cast<JpegError*>(info->err);
    (*info->err->format_message)(info, error->message);
    std::longjmp(error->jump, 1);
}

// libjpeg only warns when the data ends before the image does and fills the rest with grey;
// Pillow refuses such a file ("image file is truncated"), so sm4 does too.
void jpeg_message(j_common_ptr info, int level) {
    if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) jpeg_fail(info);
}

RgbImage decode_jpeg(const std::vector<std::uint8_t>& bytes, const std::filesystem::path& path) {
    RgbImage image;
    jpeg_decompress_struct info;
    JpegError error;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = jpeg_fail;
    error.manager.emit_message = jpeg_message;
    error.message[0] = '\0';
    jpeg_create_decompress(&info);
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        throw DataError(fmt::format("{}: corrupt or truncated JPEG: {}", path.string(), error.message));
    }
    jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&info, TRUE);
    if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&info);
        throw DataError(fmt::format("{}: a CMYK JPEG; sm4 reads greyscale and RGB JPEGs", path.string()));
    }
    if (const auto refusal = oversized(path, info.image_width, info.image_height, bytes.size())) {
        jpeg_destroy_decompress(&info);
        throw DataError(*refusal);
    }
    info.out_color_space = JCS_RGB;
    jpeg_start_decompress(&info);
    image.width = info.output_width;
    image.height = info.output_height;
    image.pixels.resize(static_cast<std::size_t>(image.width * image.height * 3));
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = image.pixels.data() + static_cast<std::size_t>(info.output_scanline) * image.width * 3;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return image;
}

struct PngInput {
    const std::vector<std::uint8_t>* bytes;
    std::size_t offset = 0;
    std::string message;
    std::jmp_buf jump;
};

void png_read_bytes(png_structp png, png_bytep out, png_size_t count) {
    auto* input = static_cast<PngInput*>(png_get_io_ptr(png));
    if (input->bytes->size() - input->offset < count) png_error(png, "the file ends early");
    std::memcpy(out, input->bytes->data() + input->offset, count);
    input->offset += count;
}

[[noreturn]] void png_fail(png_structp png, png_const_charp message) {
    auto* input = static_cast<PngInput*>(png_get_error_ptr(png));
    input->message = message;
    std::longjmp(input->jump, 1);
}

void png_ignore_warning(png_structp, png_const_charp) {}

RgbImage decode_png(const std::vector<std::uint8_t>& bytes, const std::filesystem::path& path) {
    RgbImage image;
    PngInput input;
    input.bytes = &bytes;
    std::vector<png_bytep> rows;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &input, png_fail, png_ignore_warning);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!info) {
        png_destroy_read_struct(&png, nullptr, nullptr);
        throw DataError(fmt::format("{}: libpng could not start", path.string()));
    }
    if (setjmp(input.jump)) {
        png_destroy_read_struct(&png, &info, nullptr);
        throw DataError(fmt::format("{}: corrupt or truncated PNG: {}", path.string(), input.message));
    }
    png_set_read_fn(png, &input, png_read_bytes);
    png_read_info(png, info);
    if (const auto refusal =
            oversized(path, png_get_image_width(png, info), png_get_image_height(png, info), bytes.size())) {
        png_destroy_read_struct(&png, &info, nullptr);
        throw DataError(*refusal);
    }
    // Pillow's convert("RGB"): palettes and low bit depths expanded, grey replicated, alpha and
    // the transparency chunk dropped without compositing, 16-bit samples cut to the high byte.
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    image.width = png_get_image_width(png, info);
    image.height = png_get_image_height(png, info);
    if (png_get_rowbytes(png, info) != static_cast<png_size_t>(image.width * 3))
        png_error(png, "unexpected row layout after conversion to RGB");
    image.pixels.resize(static_cast<std::size_t>(image.width * image.height * 3));
    rows.resize(static_cast<std::size_t>(image.height));
    for (std::size_t y = 0; y < rows.size(); ++y) rows[y] = image.pixels.data() + y * image.width * 3;
    png_read_image(png, rows.data());
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    return image;
}

}  // namespace

RgbImage read_rgb_image(const std::filesystem::path& path) {
    const std::vector<std::uint8_t> bytes = file_bytes(path);
    static const std::uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (bytes.size() >= 8 && std::memcmp(bytes.data(), png_signature, 8) == 0) return decode_png(bytes, path);
    if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return decode_jpeg(bytes, path);
    throw DataError(fmt::format("{}: neither a JPEG nor a PNG file ({} bytes)", path.string(), bytes.size()));
}

}  // namespace sm4

// JPEG and PNG screenshots (ENRICO), decoded to RGB and resized as the converter does.
#include "core/errors.h"
#include "formats/image_file.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const sm4::RgbImage image = sm4::read_rgb_image(sm4::fuzz::input_file(data, size, ".img"));
        if (image.width > 0 && image.height > 0) (void)sm4::resize_bilinear(image, 16, 16);
    } catch (const sm4::Error&) {
    }
    return 0;
}

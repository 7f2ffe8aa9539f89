// .npy images from memory, then every conversion a converter uses.
#include "core/errors.h"
#include "formats/byte_source.h"
#include "formats/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        sm4::MemorySource source(data, size);
        const sm4::NumpyArray array = sm4::read_npy(source, "fuzz.npy");
        (void)array.to_float32();
        (void)array.to_int64();
    } catch (const sm4::Error&) {
    }
    return 0;
}

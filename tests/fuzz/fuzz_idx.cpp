// IDX files (Fashion-MNIST's images and labels), plain or gzip.
#include "core/errors.h"
#include "data/idx.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = sm4::fuzz::input_file(data, size, size >= 2 && data[0] == 0x1f && data[1] == 0x8b ? ".gz" : "");
    for (int rank : {1, 3}) {
        try {
            (void)sm4::read_idx_ubyte(path, rank);
        } catch (const sm4::Error&) {
        }
    }
    return 0;
}

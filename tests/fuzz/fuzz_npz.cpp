// .npz archives (ZIP, stored or deflated, ZIP64) and every member in them.
#include "core/errors.h"
#include "formats/npz.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const sm4::NpzArchive archive(sm4::fuzz::input_file(data, size, ".npz"));
        for (const auto& name : archive.names()) {
            try {
                (void)archive.read(name).to_float64();
            } catch (const sm4::Error&) {
            }
        }
    } catch (const sm4::Error&) {
    }
    return 0;
}

// sm4's canonical HDF5 task files (datasets/FORMAT.md), header and arrays.
#include "core/errors.h"
#include "fuzz_input.h"
#include "io/task_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        (void)sm4::read_task_dataset(sm4::fuzz::input_file(data, size, ".h5"), true);
    } catch (const sm4::Error&) {
    }
    return 0;
}

// Numeric CSV and sklearn's bundled-data layout (breast-cancer, wine).
#include "core/errors.h"
#include "data/csv.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = sm4::fuzz::input_file(data, size, ".csv");
    try {
        (void)sm4::read_numeric_csv(path, true);
    } catch (const sm4::Error&) {
    }
    try {
        (void)sm4::read_sklearn_csv(path);
    } catch (const sm4::Error&) {
    }
    return 0;
}

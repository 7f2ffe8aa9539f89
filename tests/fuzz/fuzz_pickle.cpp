// Pickles (protocols 0-5, numpy arrays, the safe globals) from memory, walked like a converter.
#include <vector>

#include "core/errors.h"
#include "formats/byte_source.h"
#include "formats/pickle_reader.h"

namespace {

void walk(const sm4::PickleValue& root) {
    std::vector<sm4::PickleValue> pending{root};
    for (std::size_t visited = 0; !pending.empty() && visited < 100000; ++visited) {
        const sm4::PickleValue value = pending.back();
        pending.pop_back();
        try {
            switch (value.kind()) {
            case sm4::PickleKind::List:
            case sm4::PickleKind::Tuple:
                for (const auto& item : value.as_list()) pending.push_back(item);
                break;
            case sm4::PickleKind::Dict:
                for (const auto& [key, item] : value.items()) pending.push_back(item);
                break;
            case sm4::PickleKind::Array: (void)value.as_array().to_float32(); break;
            default: break;
            }
        } catch (const sm4::Error&) {
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        sm4::MemorySource source(data, size);
        walk(sm4::read_pickle(source, "fuzz.pkl"));
    } catch (const sm4::Error&) {
    }
    return 0;
}

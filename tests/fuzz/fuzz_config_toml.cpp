// Config text as `sm4 train EXPERIMENT.toml` reads it: TOML, the schema, the checks.
#include <string_view>

#include "core/config_loader.h"
#include "core/config_schema.h"
#include "core/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        sm4::ResolvedConfig config = sm4::default_config();
        sm4::apply_toml(config, std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
        sm4::validate_config(config.values);
        (void)sm4::to_toml(config, true);
    } catch (const sm4::Error&) {
    }
    return 0;
}

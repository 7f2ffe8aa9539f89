// The message of the ConfigError that loading the defaults with `overrides` throws ("" if none).
#pragma once

#include <string>
#include <vector>

#include "core/config_loader.h"
#include "core/errors.h"

namespace sm4::test {

inline std::string config_error(const std::vector<std::string>& overrides) {
    try {
        load_config({}, overrides);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace sm4::test

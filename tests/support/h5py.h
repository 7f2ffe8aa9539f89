// Reads an HDF5 file with h5py (the reader users' scripts use) and returns what Python prints.
#pragma once

#include <catch.hpp>

#include <filesystem>
#include <string>

#include "run_command.h"

namespace sm4::test {

// `expression` sees `f` (the open file), `h5py` and `np`.
inline std::string h5py(const std::filesystem::path& file, const std::string& expression) {
    const auto r = run_command("/usr/bin/python3 -c \"import h5py, numpy as np; f = h5py.File('" + file.string() +
                               "', 'r'); print(" + expression + ")\"");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

}  // namespace sm4::test

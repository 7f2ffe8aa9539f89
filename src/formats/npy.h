// numpy's .npy format, versions 1.0, 2.0 and 3.0: a magic string, a Python-dict header naming
// the dtype, the order and the shape, then the raw elements.
#pragma once

#include <filesystem>
#include <string>

#include "formats/byte_source.h"
#include "formats/numpy_array.h"

namespace sm4 {

// Throws IoError when the file cannot be read, DataError naming the file for a bad magic, a
// malformed header, an unsupported or object dtype, or data shorter than the shape needs.
NumpyArray read_npy_file(const std::filesystem::path& path);

// One .npy image read from `source`; `where` names it in errors and becomes the array's source.
NumpyArray read_npy(ByteSource& source, const std::string& where);

}  // namespace sm4

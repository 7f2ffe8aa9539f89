// A native reader for Python pickles (protocols 0 to 5) that builds a tree of plain values and
// numpy arrays and never executes anything. Supported: None, bool, int (up to 64 bits), float,
// str, bytes/bytearray, list, tuple, dict and OrderedDict (hashable keys), numpy arrays as
// numpy 1.x and 2.x pickle them (_reconstruct + BUILD, or _frombuffer in protocol 5), numpy
// scalars, and Python 2 pickles read as encoding='latin1' does. String and object arrays are
// read past and kept as opaque values (an object array's elements go through the same rules).
// Any other global, an opcode outside that subset (persistent ids, extensions, sets, out-of-band
// buffers) or a structured dtype is refused with an error naming the file, the byte offset and
// what was refused.
#pragma once

#include <filesystem>
#include <string>

#include "formats/byte_source.h"
#include "formats/pickle_value.h"

namespace sm4 {

// Throws IoError when the file cannot be read, DataError "<file>: byte N: ..." otherwise.
PickleValue read_pickle_file(const std::filesystem::path& path);

// The pickle read from `source`; `file` names it in errors and key paths.
PickleValue read_pickle(ByteSource& source, const std::string& file);

}  // namespace sm4

// The few Python literals a .npy header holds: a dict of str keys whose values are strings,
// booleans, integers, None, and tuples or lists of them, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sm4 {

struct PythonLiteral {
    enum class Kind { None, Bool, Int, Str, Tuple, List, Dict };
    Kind kind = Kind::None;
    bool boolean = false;
    std::int64_t integer = 0;
    std::string text;
    std::vector<PythonLiteral> items;                            // Tuple, List
    std::vector<std::pair<std::string, PythonLiteral>> entries;  // Dict (str keys only)

    const PythonLiteral* find(std::string_view key) const;  // Dict entry, or nullptr
};

// Parses one literal filling all of `text` (surrounding spaces allowed). Throws DataError
// "<where>: malformed header: <what was expected> at column N".
PythonLiteral parse_python_literal(std::string_view text, std::string_view where);

}  // namespace sm4

// A numpy array as read from .npy, .npz or a pickle: its shape, element type and element bytes
// in C order and this machine's byte order, whatever order the file stored them in. Conversions
// to float32, float64 and int64 are exact wherever the value is representable in the target.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm4 {

// The element types MultiBench's files use. Object, string, complex, datetime and structured
// dtypes are refused when parsed (pickles keep string and object arrays as opaque values).
enum class NumpyType { Bool, Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float16, Float32, Float64 };

std::string_view numpy_type_name(NumpyType type);  // numpy's name: "float32", "uint8", "bool"
std::size_t numpy_itemsize(NumpyType type);        // bytes per element

// An element type as stored in a file, from numpy's type string ('<f4', '|u1', '>i8').
struct NumpyDType {
    NumpyType type = NumpyType::Float32;
    bool big_endian = false;  // the stored byte order; 1-byte types are never swapped
};

// Parses a numpy type string. Throws DataError prefixed with `where`: object dtypes ('|O')
// "object arrays are not supported", anything else outside NumpyType "unsupported dtype".
NumpyDType parse_numpy_descr(std::string_view descr, std::string_view where);

// numpy's fixed-width string dtypes: '<U11' (11 UCS-4 characters, 44 bytes) or '|S5' (5 bytes).
// They are never converted; the pickle reader only needs their element size to read past them.
struct NumpyStringDType {
    bool unicode = false;      // 'U' rather than 'S'
    std::size_t itemsize = 0;  // bytes per element
};

// The string dtype `descr` names ('<U11', '>U3', '|S5', 'S5'), or nothing for any other type
// string (numeric, object, malformed).
std::optional<NumpyStringDType> parse_numpy_string_descr(std::string_view descr);

struct NumpyArray {
    std::string source;                // file, archive/member or pickle key path; starts errors
    std::vector<std::int64_t> shape;   // {} for a 0-d array (one element)
    NumpyType type = NumpyType::Float32;
    std::shared_ptr<const std::vector<std::uint8_t>> buffer;  // size() * itemsize bytes, C order, native order

    std::size_t size() const;  // number of elements
    std::string dtype() const { return std::string(numpy_type_name(type)); }
    const std::uint8_t* data() const { return buffer ? buffer->data() : nullptr; }
    bool is_floating() const;

    // Exact for bool, 8/16-bit integers, float16, float32 and integers up to 2^24 in magnitude;
    // other values are rounded to the nearest float32.
    std::vector<float> to_float32() const;
    // Exact for everything but 64-bit integers beyond 2^53 (rounded).
    std::vector<double> to_float64() const;
    // Exact; throws DataError naming `source` and the element for a float that is not a whole
    // number (or NaN, or out of range) and for a uint64 above 2^63 - 1.
    std::vector<std::int64_t> to_int64() const;
};

std::string shape_text(const std::vector<std::int64_t>& shape);  // "[2, 3]"

// The array from element bytes as stored (dtype's byte order, C or Fortran order): swaps and
// transposes into a new buffer where needed, else shares `raw`. Throws DataError naming `source`
// when `raw` does not hold exactly shape x itemsize bytes or a dimension is negative.
NumpyArray make_numpy_array(std::string source, NumpyDType dtype, std::vector<std::int64_t> shape,
                            bool fortran_order, std::shared_ptr<const std::vector<std::uint8_t>> raw);

// Bytes an array of that shape and type needs; throws DataError naming `where` for a negative
// dimension or an overflowing product.
std::uint64_t numpy_byte_count(const std::vector<std::int64_t>& shape, NumpyType type, std::string_view where);

}  // namespace sm4

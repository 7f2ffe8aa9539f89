#include "formats/numpy_array.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstring>

#include "core/errors.h"

namespace sm4 {

namespace {

struct TypeInfo {
    NumpyType type;
    char kind;  // numpy's kind character in a type string
    std::size_t itemsize;
    std::string_view name;
};

constexpr TypeInfo kTypes[] = {
    {NumpyType::Bool, 'b', 1, "bool"},       {NumpyType::Int8, 'i', 1, "int8"},
    {NumpyType::UInt8, 'u', 1, "uint8"},     {NumpyType::Int16, 'i', 2, "int16"},
    {NumpyType::UInt16, 'u', 2, "uint16"},   {NumpyType::Int32, 'i', 4, "int32"},
    {NumpyType::UInt32, 'u', 4, "uint32"},   {NumpyType::Int64, 'i', 8, "int64"},
    {NumpyType::UInt64, 'u', 8, "uint64"},   {NumpyType::Float16, 'f', 2, "float16"},
    {NumpyType::Float32, 'f', 4, "float32"}, {NumpyType::Float64, 'f', 8, "float64"},
};

const TypeInfo& info(NumpyType type) { return kTypes[static_cast<int>(type)]; }

float half_to_float(std::uint16_t half) {
    const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
    std::uint32_t exponent = (half >> 10) & 0x1fu;
    std::uint32_t mantissa = half & 0x3ffu;
    std::uint32_t bits = sign;
    if (exponent == 0x1f) {
        bits |= 0x7f800000u | (mantissa << 13);  // inf, NaN
    } else if (exponent != 0) {
        bits |= ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa != 0) {  // subnormal half: a normal float32
        exponent = 113;
        while (!(mantissa & 0x400u)) {
            mantissa <<= 1;
            --exponent;
        }
        bits |= (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

template <class T>
T load(const std::uint8_t* p) {
    T value;
    std::memcpy(&value, p, sizeof value);
    return value;
}

// Calls f(i, value) for every element, value in its own C++ type (half as float).
template <class F>
void visit_values(const NumpyArray& a, F&& f) {
    const std::uint8_t* p = a.data();
    const std::size_t n = a.size();
    switch (a.type) {
    case NumpyType::Bool: for (std::size_t i = 0; i < n; ++i) f(i, p[i] != 0); break;
    case NumpyType::Int8: for (std::size_t i = 0; i < n; ++i) f(i, load<std::int8_t>(p + i)); break;
    case NumpyType::UInt8: for (std::size_t i = 0; i < n; ++i) f(i, p[i]); break;
    case NumpyType::Int16: for (std::size_t i = 0; i < n; ++i) f(i, load<std::int16_t>(p + 2 * i)); break;
    case NumpyType::UInt16: for (std::size_t i = 0; i < n; ++i) f(i, load<std::uint16_t>(p + 2 * i)); break;
    case NumpyType::Int32: for (std::size_t i = 0; i < n; ++i) f(i, load<std::int32_t>(p + 4 * i)); break;
    case NumpyType::UInt32: for (std::size_t i = 0; i < n; ++i) f(i, load<std::uint32_t>(p + 4 * i)); break;
    case NumpyType::Int64: for (std::size_t i = 0; i < n; ++i) f(i, load<std::int64_t>(p + 8 * i)); break;
    case NumpyType::UInt64: for (std::size_t i = 0; i < n; ++i) f(i, load<std::uint64_t>(p + 8 * i)); break;
    case NumpyType::Float16:
        for (std::size_t i = 0; i < n; ++i) f(i, half_to_float(load<std::uint16_t>(p + 2 * i)));
        break;
    case NumpyType::Float32: for (std::size_t i = 0; i < n; ++i) f(i, load<float>(p + 4 * i)); break;
    case NumpyType::Float64: for (std::size_t i = 0; i < n; ++i) f(i, load<double>(p + 8 * i)); break;
    }
}

template <class T>
T byteswap(T value) {
    std::uint8_t bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
    std::memcpy(&value, bytes, sizeof(T));
    return value;
}

// Copies elements of width sizeof(T) from `src` (Fortran order when `fortran`) to `dst` in C
// order, swapping bytes when `swap`.
template <class T>
void reorder(const std::uint8_t* src, std::uint8_t* dst, const std::vector<std::int64_t>& shape, bool fortran,
             bool swap) {
    std::size_t n = 1;
    for (const auto d : shape) n *= static_cast<std::size_t>(d);
    const std::size_t rank = shape.size();
    std::vector<std::size_t> stride(rank, 1);  // element strides of the stored layout
    if (fortran)
        for (std::size_t k = 1; k < rank; ++k) stride[k] = stride[k - 1] * static_cast<std::size_t>(shape[k - 1]);
    else
        for (std::size_t k = rank; k-- > 1;) stride[k - 1] = stride[k] * static_cast<std::size_t>(shape[k]);
    std::vector<std::int64_t> index(rank, 0);
    std::size_t from = 0;
    for (std::size_t i = 0; i < n; ++i) {
        T value = load<T>(src + from * sizeof(T));
        if (swap) value = byteswap(value);
        std::memcpy(dst + i * sizeof(T), &value, sizeof(T));
        for (std::size_t k = rank; k-- > 0;) {  // next C-order index
            from += stride[k];
            if (++index[k] < shape[k]) break;
            from -= stride[k] * static_cast<std::size_t>(shape[k]);
            index[k] = 0;
        }
    }
}

// Whether C and Fortran order lay the elements out the same way (at most one axis longer than 1).
bool order_is_irrelevant(const std::vector<std::int64_t>& shape) {
    int long_axes = 0;
    for (const auto d : shape) {
        if (d == 0) return true;
        if (d > 1) ++long_axes;
    }
    return long_axes <= 1;
}

}  // namespace

std::string_view numpy_type_name(NumpyType type) { return info(type).name; }
std::size_t numpy_itemsize(NumpyType type) { return info(type).itemsize; }

NumpyDType parse_numpy_descr(std::string_view descr, std::string_view where) {
    std::string_view rest = descr;
    NumpyDType dtype;
    if (!rest.empty() && (rest[0] == '<' || rest[0] == '>' || rest[0] == '|' || rest[0] == '=')) {
        dtype.big_endian = rest[0] == '>';
        rest.remove_prefix(1);
    }
    if (!rest.empty() && rest[0] == 'O')
        throw DataError(fmt::format("{}: dtype '{}' is an object array; object arrays are not supported "
                                    "(store numeric arrays)", where, descr));
    if (rest.size() == 2 && rest[1] >= '1' && rest[1] <= '8') {
        const std::size_t itemsize = static_cast<std::size_t>(rest[1] - '0');
        for (const auto& t : kTypes)
            if (t.kind == rest[0] && t.itemsize == itemsize) {
                dtype.type = t.type;
                if (itemsize == 1) dtype.big_endian = false;
                return dtype;
            }
    }
    throw DataError(fmt::format("{}: unsupported dtype '{}' (expected bool, (u)int8/16/32/64 or float16/32/64, "
                                "e.g. '<f4')", where, descr));
}

std::optional<NumpyStringDType> parse_numpy_string_descr(std::string_view descr) {
    std::string_view rest = descr;
    if (!rest.empty() && (rest[0] == '<' || rest[0] == '>' || rest[0] == '|' || rest[0] == '=')) rest.remove_prefix(1);
    // At most 9 digits: a character count that cannot overflow once multiplied by 4.
    if (rest.size() < 2 || rest.size() > 10 || (rest[0] != 'U' && rest[0] != 'S')) return std::nullopt;
    std::size_t count = 0;
    for (const char c : rest.substr(1)) {
        if (c < '0' || c > '9') return std::nullopt;
        count = count * 10 + static_cast<std::size_t>(c - '0');
    }
    NumpyStringDType dtype;
    dtype.unicode = rest[0] == 'U';
    dtype.itemsize = dtype.unicode ? 4 * count : count;
    return dtype;
}

std::size_t NumpyArray::size() const {
    std::size_t n = 1;
    for (const auto d : shape) n *= static_cast<std::size_t>(d);
    return n;
}

bool NumpyArray::is_floating() const { return info(type).kind == 'f'; }

std::vector<float> NumpyArray::to_float32() const {
    std::vector<float> out(size());
    visit_values(*this, [&](std::size_t i, auto v) { out[i] = static_cast<float>(v); });
    return out;
}

std::vector<double> NumpyArray::to_float64() const {
    std::vector<double> out(size());
    visit_values(*this, [&](std::size_t i, auto v) { out[i] = static_cast<double>(v); });
    return out;
}

std::vector<std::int64_t> NumpyArray::to_int64() const {
    std::vector<std::int64_t> out(size());
    visit_values(*this, [&](std::size_t i, auto v) {
        using T = decltype(v);
        if constexpr (std::is_floating_point_v<T>) {
            // 2^63 is exact in double; anything in [-2^63, 2^63) that is whole converts exactly.
            if (!(v == std::trunc(v) && v >= -9223372036854775808.0 && v < 9223372036854775808.0))
                throw DataError(fmt::format("{}: element {} is {}, not an integer that fits int64", source, i,
                                            static_cast<double>(v)));
        } else if constexpr (std::is_same_v<T, std::uint64_t>) {
            if (v > static_cast<std::uint64_t>(INT64_MAX))
                throw DataError(fmt::format("{}: element {} is {}, beyond the int64 range", source, i, v));
        }
        out[i] = static_cast<std::int64_t>(v);
    });
    return out;
}

std::string shape_text(const std::vector<std::int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

std::uint64_t numpy_byte_count(const std::vector<std::int64_t>& shape, NumpyType type, std::string_view where) {
    std::uint64_t count = numpy_itemsize(type);
    for (const auto d : shape) {
        if (d < 0) throw DataError(fmt::format("{}: negative dimension in shape {}", where, shape_text(shape)));
        if (d != 0 && count > UINT64_MAX / static_cast<std::uint64_t>(d))
            throw DataError(fmt::format("{}: shape {} is too large", where, shape_text(shape)));
        count *= static_cast<std::uint64_t>(d);
    }
    return count;
}

NumpyArray make_numpy_array(std::string source, NumpyDType dtype, std::vector<std::int64_t> shape,
                            bool fortran_order, std::shared_ptr<const std::vector<std::uint8_t>> raw) {
    const std::uint64_t needed = numpy_byte_count(shape, dtype.type, source);
    const std::uint64_t found = raw ? raw->size() : 0;
    if (found != needed)
        throw DataError(fmt::format("{}: data holds {} bytes but shape {} of {} needs {} ({})", source, found,
                                    shape_text(shape), numpy_type_name(dtype.type), needed,
                                    found < needed ? "truncated" : "trailing bytes"));
    NumpyArray array;
    array.source = std::move(source);
    array.type = dtype.type;
    const bool transpose = fortran_order && !order_is_irrelevant(shape);
    const bool swap = dtype.big_endian && numpy_itemsize(dtype.type) > 1;
    array.shape = std::move(shape);
    if (!transpose && !swap) {
        array.buffer = raw ? std::move(raw) : std::make_shared<const std::vector<std::uint8_t>>();
        return array;
    }
    auto out = std::make_shared<std::vector<std::uint8_t>>(raw->size());
    switch (numpy_itemsize(dtype.type)) {
    case 1: reorder<std::uint8_t>(raw->data(), out->data(), array.shape, transpose, false); break;
    case 2: reorder<std::uint16_t>(raw->data(), out->data(), array.shape, transpose, swap); break;
    case 4: reorder<std::uint32_t>(raw->data(), out->data(), array.shape, transpose, swap); break;
    default: reorder<std::uint64_t>(raw->data(), out->data(), array.shape, transpose, swap); break;
    }
    array.buffer = std::move(out);
    return array;
}

}  // namespace sm4

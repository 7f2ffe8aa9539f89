#include "formats/npy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/errors.h"
#include "core/text.h"
#include "formats/python_literal.h"

namespace sm4 {

namespace {

constexpr std::uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

std::string hex_bytes(const std::uint8_t* bytes, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", bytes[i]);
    return out;
}

// The header's length field: 2 bytes in version 1, 4 in versions 2 and 3 (little-endian).
std::uint32_t read_header_length(ByteSource& source, int major, int minor, const std::string& where) {
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        throw DataError(fmt::format("{}: unsupported .npy format version {}.{} (expected 1.0, 2.0 or 3.0)", where,
                                    major, minor));
    std::uint8_t field[4] = {0, 0, 0, 0};
    const std::size_t width = major == 1 ? 2 : 4;
    if (!source.read_exact(field, width)) throw DataError(fmt::format("{}: truncated .npy header", where));
    return field[0] | (field[1] << 8) | (std::uint32_t{field[2]} << 16) | (std::uint32_t{field[3]} << 24);
}

struct NpyHeader {
    NumpyDType dtype;
    bool fortran_order = false;
    std::vector<std::int64_t> shape;
};

NpyHeader parse_header(std::string_view text, const std::string& where) {
    const PythonLiteral dict = parse_python_literal(text, where);
    const auto malformed = [&](std::string_view expected) {
        return DataError(fmt::format("{}: malformed header: expected {} in \"{}\"", where, expected, printable(text)));
    };
    if (dict.kind != PythonLiteral::Kind::Dict) throw malformed("a dict");
    const PythonLiteral* descr = dict.find("descr");
    const PythonLiteral* fortran = dict.find("fortran_order");
    const PythonLiteral* shape = dict.find("shape");
    if (descr && descr->kind == PythonLiteral::Kind::List)
        throw DataError(fmt::format("{}: structured dtypes (a list of fields in 'descr') are not supported", where));
    if (!descr || descr->kind != PythonLiteral::Kind::Str) throw malformed("'descr' with a type string");
    if (!fortran || fortran->kind != PythonLiteral::Kind::Bool) throw malformed("'fortran_order' with True or False");
    if (!shape || shape->kind != PythonLiteral::Kind::Tuple) throw malformed("'shape' with a tuple of integers");
    NpyHeader header;
    header.dtype = parse_numpy_descr(descr->text, where);
    header.fortran_order = fortran->boolean;
    for (const auto& d : shape->items) {
        if (d.kind != PythonLiteral::Kind::Int || d.integer < 0) throw malformed("'shape' with a tuple of integers");
        header.shape.push_back(d.integer);
    }
    return header;
}

}  // namespace

NumpyArray read_npy(ByteSource& source, const std::string& where) {
    std::uint8_t preamble[8];
    std::size_t got = 0;
    if (!source.read_exact(preamble, sizeof preamble, &got) || std::memcmp(preamble, kMagic, sizeof kMagic) != 0)
        throw DataError(fmt::format("{}: not a .npy file (expected the magic 934e554d5059 \"\\x93NUMPY\", found {})",
                                    where, got == 0 ? "an empty file" : hex_bytes(preamble, std::min<std::size_t>(got, 6))));
    const std::uint32_t length = read_header_length(source, preamble[6], preamble[7], where);
    if (length > source.remaining())
        throw DataError(fmt::format("{}: truncated .npy header ({} bytes announced, {} left)", where, length,
                                    source.remaining()));
    std::string text(length, '\0');
    if (!source.read_exact(reinterpret_cast<std::uint8_t*>(text.data()), length))
        throw DataError(fmt::format("{}: truncated .npy header", where));
    const NpyHeader header = parse_header(trim(text), where);

    const std::uint64_t needed = numpy_byte_count(header.shape, header.dtype.type, where);
    auto raw = std::make_shared<std::vector<std::uint8_t>>(
        static_cast<std::size_t>(std::min<std::uint64_t>(needed, source.remaining())));
    source.read_exact(raw->data(), raw->size(), &got);
    raw->resize(got);
    return make_numpy_array(where, header.dtype, header.shape, header.fortran_order, std::move(raw));
}

NumpyArray read_npy_file(const std::filesystem::path& path) {
    FileSource source(path);
    return read_npy(source, path.string());
}

}  // namespace sm4

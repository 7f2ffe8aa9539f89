#include "formats/pickle_globals.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace sm4 {

namespace {

enum class Constructor { Reconstruct, NdArray, DType, FromBuffer, Scalar, Encode, Bytes, OrderedDict };

struct AllowedGlobal {
    std::string_view module;
    std::string_view name;
    Constructor constructor;
};

constexpr AllowedGlobal kAllowed[] = {
    {"numpy.core.multiarray", "_reconstruct", Constructor::Reconstruct},
    {"numpy._core.multiarray", "_reconstruct", Constructor::Reconstruct},
    {"numpy", "ndarray", Constructor::NdArray},
    {"numpy", "dtype", Constructor::DType},
    {"numpy.core.numeric", "_frombuffer", Constructor::FromBuffer},
    {"numpy._core.numeric", "_frombuffer", Constructor::FromBuffer},
    {"numpy.core.multiarray", "scalar", Constructor::Scalar},
    {"numpy._core.multiarray", "scalar", Constructor::Scalar},
    {"_codecs", "encode", Constructor::Encode},
    {"__builtin__", "bytes", Constructor::Bytes},
    {"builtins", "bytes", Constructor::Bytes},
    {"collections", "OrderedDict", Constructor::OrderedDict},
};

[[noreturn]] void bad(const std::string& where, const std::string& what) { throw DataError(where + ": " + what); }

const PickleNode& arg(const PickleNode& args, std::size_t i, PickleKind kind, const std::string& where,
                      std::string_view callee) {
    if (i >= args.items.size() || args.items[i]->kind != kind)
        bad(where, fmt::format("{}: argument {} must be a {} (got {})", callee, i + 1, pickle_kind_name(kind),
                               i < args.items.size() ? node_repr(*args.items[i]) : "nothing"));
    return *args.items[i];
}

bool truth(const PickleNode& node) {
    return node.kind == PickleKind::Bool ? node.boolean : node.kind == PickleKind::Int && node.integer != 0;
}

std::vector<std::int64_t> shape_of(const PickleNode& node, const std::string& where) {
    std::vector<std::int64_t> shape;
    if (node.kind == PickleKind::Int) return {node.integer};
    if (node.kind != PickleKind::Tuple && node.kind != PickleKind::List)
        bad(where, fmt::format("array shape must be a tuple of ints, found {}", node_repr(node)));
    for (const auto& d : node.items) {
        if (d->kind != PickleKind::Int) bad(where, fmt::format("array shape must be a tuple of ints, found {}", node_repr(node)));
        shape.push_back(d->integer);
    }
    return shape;
}

// numpy names object dtypes "O" or "O8" (the pointer size) when it pickles them.
bool is_object_dtype(const PickleNode& dtype) { return !dtype.name.empty() && dtype.name[0] == 'O'; }

// An object array's state holds its elements as a list of Python objects, in C order, each
// already read by the pickle machine (so a refused global among them has refused the file).
void fill_object_array(PickleNode& target, std::vector<std::int64_t> shape, const PickleNode& objects,
                       const std::string& where) {
    if (objects.kind != PickleKind::List)
        bad(where, fmt::format("object array data must be a list of objects, found {}", node_repr(objects)));
    const std::uint64_t count = numpy_byte_count(shape, NumpyType::UInt8, where);
    if (objects.items.size() != count)
        bad(where, fmt::format("object array of shape {} holds {} objects (expected {})", shape_text(shape),
                               objects.items.size(), count));
    target.kind = PickleKind::ObjectArray;
    target.name = "object";
    target.shape = std::move(shape);
    target.items = objects.items;
}

// A string array keeps its element bytes as stored; only their count is checked.
void fill_string_array(PickleNode& target, const NumpyStringDType& dtype, std::string descr,
                       std::vector<std::int64_t> shape, const PickleNode& raw, const std::string& where) {
    std::shared_ptr<const ByteBuffer> bytes = raw_bytes(raw, where);
    const std::uint64_t count = numpy_byte_count(shape, NumpyType::UInt8, where);
    const bool fits = dtype.itemsize == 0 ? bytes->empty()
                                          : bytes->size() % dtype.itemsize == 0 && bytes->size() / dtype.itemsize == count;
    if (!fits)
        bad(where, fmt::format("data holds {} bytes but shape {} of {} needs {} bytes per element", bytes->size(),
                               shape_text(shape), descr, dtype.itemsize));
    target.kind = dtype.unicode ? PickleKind::StrArray : PickleKind::BytesArray;
    target.name = std::move(descr);
    target.shape = std::move(shape);
    target.bytes = std::move(bytes);
}

// Fills `target` with the array stored in `raw`: bytes, or a Latin-1 str from Python 2, or for
// an object array the list of its elements.
void fill_array(PickleNode& target, const PickleNode& dtype, std::vector<std::int64_t> shape, bool fortran,
                const PickleNode& raw, const std::string& where) {
    if (is_object_dtype(dtype)) return fill_object_array(target, std::move(shape), raw, where);
    std::string descr = std::string(1, dtype.byte_order) + dtype.name;
    const std::optional<NumpyStringDType> text = parse_numpy_string_descr(descr);
    const NumpyDType parsed = text ? NumpyDType{} : parse_numpy_descr(descr, where);  // refuses the rest first
    if (raw.kind != PickleKind::Bytes && raw.kind != PickleKind::Str)
        bad(where, fmt::format("array data must be bytes or a str, found {}", node_repr(raw)));
    if (text) {
        if (descr[0] == '=') descr[0] = '<';  // as numpy prints it on this (little-endian) machine
        if (!text->unicode) descr[0] = '|';
        return fill_string_array(target, *text, std::move(descr), std::move(shape), raw, where);
    }
    target.kind = PickleKind::Array;
    target.array = std::make_shared<NumpyArray>(
        make_numpy_array(where, parsed, std::move(shape), fortran, raw_bytes(raw, where)));
}

PickleNodePtr ordered_dict(const PickleNode& args, const std::string& where) {
    auto dict = make_node(PickleKind::Dict);
    if (args.items.empty()) return dict;
    // Python 2 pickles pass the items: OrderedDict([[key, value], ...]).
    for (const auto& pair : arg(args, 0, PickleKind::List, where, "OrderedDict").items) {
        if (pair->items.size() != 2 || !dict_set(*dict, pair->items[0], pair->items[1]))
            bad(where, "OrderedDict items must be hashable [key, value] pairs");
    }
    return dict;
}

}  // namespace

PickleNodePtr resolve_global(const std::string& module, const std::string& name, const std::string& where) {
    for (const auto& allowed : kAllowed)
        if (allowed.module == module && allowed.name == name) {
            auto node = make_node(PickleKind::Global);
            node->name = module + "." + name;
            node->integer = static_cast<std::int64_t>(allowed.constructor);
            return node;
        }
    bad(where, fmt::format("refused global {}.{} (a safe pickle may only build numpy arrays, dtypes and scalars, "
                           "bytes and dicts; nothing is imported or executed)", module, name));
}

PickleNodePtr call_global(const PickleNode& callable, const PickleNode& args, const std::string& where) {
    if (callable.kind != PickleKind::Global)
        bad(where, fmt::format("cannot call {} (only whitelisted globals)", node_repr(callable)));
    if (args.kind != PickleKind::Tuple) bad(where, fmt::format("arguments of {} must be a tuple", callable.name));
    const std::string& callee = callable.name;
    switch (static_cast<Constructor>(callable.integer)) {
    case Constructor::Reconstruct: {
        const PickleNode& cls = arg(args, 0, PickleKind::Global, where, callee);
        if (static_cast<Constructor>(cls.integer) != Constructor::NdArray)
            bad(where, fmt::format("{} can only rebuild numpy.ndarray, not {}", callee, cls.name));
        return make_node(PickleKind::Array);  // empty until BUILD
    }
    case Constructor::DType: {
        auto dtype = make_node(PickleKind::DType);
        dtype->name = text_utf8(arg(args, 0, PickleKind::Str, where, callee));
        return dtype;
    }
    case Constructor::FromBuffer: {
        auto array = make_node(PickleKind::Array);
        const std::string order = text_utf8(arg(args, 3, PickleKind::Str, where, callee));
        const PickleNode& buffer = *args.items[0];
        fill_array(*array, arg(args, 1, PickleKind::DType, where, callee), shape_of(*args.items[2], where),
                   order == "F", buffer, where);
        return array;
    }
    case Constructor::Scalar: {
        auto array = make_node(PickleKind::Array);
        if (args.items.size() != 2) bad(where, fmt::format("{} takes a dtype and its bytes", callee));
        fill_array(*array, arg(args, 0, PickleKind::DType, where, callee), {}, false, *args.items[1], where);
        return array;
    }
    case Constructor::Encode: {
        const PickleNode& text = arg(args, 0, PickleKind::Str, where, callee);
        const std::string encoding = text_utf8(arg(args, 1, PickleKind::Str, where, callee));
        if (encoding != "latin1" && encoding != "latin-1" && encoding != "iso-8859-1")
            bad(where, fmt::format("refused _codecs.encode with encoding '{}' (only latin1)", encoding));
        auto bytes = make_node(PickleKind::Bytes);
        bytes->bytes = raw_bytes(text, where);
        return bytes;
    }
    case Constructor::Bytes: {
        if (args.items.empty()) return make_text(PickleKind::Bytes, {});
        auto bytes = make_node(PickleKind::Bytes);
        bytes->bytes = arg(args, 0, PickleKind::Bytes, where, callee).bytes;
        return bytes;
    }
    case Constructor::OrderedDict: return ordered_dict(args, where);
    case Constructor::NdArray: break;
    }
    bad(where, fmt::format("refused call of {} (only numpy's constructors may be called)", callee));
}

void build_object(PickleNode& target, const PickleNode& state, const std::string& where) {
    if (target.kind == PickleKind::Array && !target.array) {
        // ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata)); old pickles omit version.
        if (state.kind != PickleKind::Tuple || (state.items.size() != 5 && state.items.size() != 4))
            bad(where, fmt::format("numpy array state must be (version, shape, dtype, is_fortran, data), found {}",
                                   node_repr(state)));
        const std::size_t at = state.items.size() - 4;
        const PickleNode& dtype = arg(state, at + 1, PickleKind::DType, where, "numpy array state");
        fill_array(target, dtype, shape_of(*state.items[at], where), truth(*state.items[at + 2]),
                   *state.items[at + 3], where);
        return;
    }
    if (target.kind == PickleKind::DType) {
        // dtype.__setstate__((version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata]))
        if (state.kind != PickleKind::Tuple || state.items.size() < 5)
            bad(where, fmt::format("numpy dtype state must be a tuple (version, byteorder, ...), found {}",
                                   node_repr(state)));
        const std::string order = text_utf8(arg(state, 1, PickleKind::Str, where, "numpy dtype state"));
        if (state.items[2]->kind != PickleKind::None || state.items[3]->kind != PickleKind::None)
            bad(where, fmt::format("structured or subarray dtype '{}' is not supported", target.name));
        if (order.size() != 1) bad(where, fmt::format("numpy dtype byte order '{}' is not one character", order));
        target.byte_order = order[0];
        return;
    }
    if (target.kind == PickleKind::Dict && state.kind == PickleKind::None) return;  // OrderedDict without attributes
    bad(where, fmt::format("refused BUILD of {} (only numpy arrays and dtypes take a state)", node_repr(target)));
}

}  // namespace sm4

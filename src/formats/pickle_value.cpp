#include "formats/pickle_value.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/text.h"
#include "formats/pickle_node.h"

namespace sm4 {

std::string_view pickle_kind_name(PickleKind kind) {
    switch (kind) {
    case PickleKind::None: return "None";
    case PickleKind::Bool: return "bool";
    case PickleKind::Int: return "int";
    case PickleKind::Float: return "float";
    case PickleKind::Str: return "str";
    case PickleKind::Bytes: return "bytes";
    case PickleKind::List: return "list";
    case PickleKind::Tuple: return "tuple";
    case PickleKind::Dict: return "dict";
    case PickleKind::Array: return "numpy array";
    case PickleKind::StrArray: return "numpy array of str";
    case PickleKind::BytesArray: return "numpy array of bytes";
    case PickleKind::ObjectArray: return "numpy array of objects";
    case PickleKind::Global: return "global";
    case PickleKind::DType: return "numpy dtype";
    }
    return "?";
}

namespace {

// "a list", "an int", "None": the kind as the object of "expected"/"found".
std::string with_article(std::string_view name) {
    if (name == "None") return "None";
    return fmt::format("{} {}", name == "int" ? "an" : "a", name);
}

}  // namespace

PickleValue::PickleValue(std::shared_ptr<const PickleNode> node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {}

PickleKind PickleValue::kind() const { return node().kind; }

std::string PickleValue::where() const { return path_.empty() ? file_ : file_ + ": " + path_; }

void PickleValue::mismatch(std::string_view expected) const {
    throw DataError(fmt::format("{}: expected {}, found {}", where(), expected, with_article(type_name())));
}

PickleValue PickleValue::child(std::shared_ptr<const PickleNode> node, const std::string& step) const {
    return PickleValue(std::move(node), file_, path_.empty() ? step : path_ + "/" + step);
}

bool PickleValue::contains(std::string_view key) const {
    if (kind() != PickleKind::Dict) mismatch("a dict");
    return node().index.count("s" + std::string(key)) > 0;
}

PickleValue PickleValue::at(std::string_view key) const {
    if (kind() != PickleKind::Dict) mismatch(fmt::format("a dict holding '{}'", key));
    const auto found = node().index.find("s" + std::string(key));
    if (found == node().index.end()) {
        const std::vector<std::string> present = keys();
        throw DataError(fmt::format("{}: no key '{}' (keys: {}){}", where(), key,
                                    present.empty() ? "none" : join(present, ", "), did_you_mean(key, present)));
    }
    return child(node().entries[found->second].second, std::string(key));
}

std::vector<std::string> PickleValue::keys() const {
    if (kind() != PickleKind::Dict) mismatch("a dict");
    std::vector<std::string> names;
    for (const auto& [key, value] : node().entries)
        names.push_back(key->kind == PickleKind::Str ? text_utf8(*key) : node_repr(*key));
    return names;
}

std::vector<std::pair<PickleValue, PickleValue>> PickleValue::items() const {
    const std::vector<std::string> names = keys();
    std::vector<std::pair<PickleValue, PickleValue>> pairs;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto& [key, value] = node().entries[i];
        pairs.emplace_back(child(key, names[i] + " (key)"), child(value, names[i]));
    }
    return pairs;
}

std::size_t PickleValue::size() const {
    if (kind() == PickleKind::Dict) return node().entries.size();
    if (kind() != PickleKind::List && kind() != PickleKind::Tuple) mismatch("a list, tuple or dict");
    return node().items.size();
}

PickleValue PickleValue::at(std::size_t index) const {
    if (kind() != PickleKind::List && kind() != PickleKind::Tuple) mismatch("a list or tuple");
    if (index >= node().items.size())
        throw DataError(fmt::format("{}: index {} out of range ({} has {} items)", where(), index, type_name(),
                                    node().items.size()));
    return child(node().items[index], std::to_string(index));
}

std::vector<PickleValue> PickleValue::as_list() const {
    if (kind() != PickleKind::List && kind() != PickleKind::Tuple) mismatch("a list or tuple");
    std::vector<PickleValue> values;
    for (std::size_t i = 0; i < node().items.size(); ++i) values.push_back(child(node().items[i], std::to_string(i)));
    return values;
}

bool PickleValue::as_bool() const {
    if (kind() != PickleKind::Bool) mismatch("a bool");
    return node().boolean;
}

std::int64_t PickleValue::as_int() const {
    if (kind() == PickleKind::Bool) return node().boolean ? 1 : 0;
    if (kind() != PickleKind::Int) mismatch("an int");
    return node().integer;
}

double PickleValue::as_float() const {
    if (kind() == PickleKind::Float) return node().real;
    if (kind() != PickleKind::Int && kind() != PickleKind::Bool) mismatch("a float");
    return static_cast<double>(as_int());
}

std::string PickleValue::as_str() const {
    if (kind() != PickleKind::Str) mismatch("a str");
    return text_utf8(node());
}

std::vector<std::uint8_t> PickleValue::as_bytes() const {
    if (kind() != PickleKind::Bytes) mismatch("bytes");
    return *node().bytes;
}

const NumpyArray& PickleValue::as_array() const {
    if (kind() == PickleKind::StrArray || kind() == PickleKind::BytesArray)
        throw DataError(fmt::format("{}: a numpy array of dtype {} is not numeric (shape {}; string arrays are kept "
                                    "unread: expected bool, int or float)", where(), node().name,
                                    shape_text(node().shape)));
    if (kind() == PickleKind::ObjectArray)
        throw DataError(fmt::format("{}: a numpy array of dtype object (shape {}): object arrays are not supported "
                                    "(expected a numeric array)", where(), shape_text(node().shape)));
    if (kind() != PickleKind::Array) mismatch("a numpy array");
    if (!node().array) throw DataError(fmt::format("{}: numpy array never filled (no BUILD in the pickle)", where()));
    return *node().array;
}

bool PickleValue::is_array() const {
    return kind() == PickleKind::Array || kind() == PickleKind::StrArray || kind() == PickleKind::BytesArray ||
           kind() == PickleKind::ObjectArray;
}

std::string PickleValue::array_dtype() const {
    if (kind() == PickleKind::Array) return as_array().dtype();
    if (!is_array()) mismatch("a numpy array");
    return node().name;
}

std::vector<std::int64_t> PickleValue::array_shape() const {
    if (kind() == PickleKind::Array) return as_array().shape;
    if (!is_array()) mismatch("a numpy array");
    return node().shape;
}

std::string PickleValue::repr() const { return node_repr(node()); }

}  // namespace sm4

// The tree of values a safe pickle holds: None, bool, int, float, str, bytes, list, tuple, dict
// and numpy arrays. Numeric arrays read through as_array(); arrays of strings ('<U11', '|S5') and
// of Python objects ('|O') are opaque: their shape and dtype are known, their contents are not
// converted, and as_array() says why. A PickleValue is a cheap handle on one node that remembers the file and the
// key path it was reached by, so every accessor's error says where it was, e.g.
// "mosei.pkl: train/vision: expected a numpy array, found a list".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formats/numpy_array.h"

namespace sm4 {

// StrArray, BytesArray and ObjectArray are the opaque numpy arrays. Global and DType are the
// whitelisted numpy callables and dtypes met while reading; they show up in a tree only when the
// pickle stored them bare.
enum class PickleKind {
    None, Bool, Int, Float, Str, Bytes, List, Tuple, Dict, Array, StrArray, BytesArray, ObjectArray, Global, DType
};

std::string_view pickle_kind_name(PickleKind kind);  // "dict", "numpy array", "numpy array of str", "None"

struct PickleNode;

class PickleValue {
public:
    PickleValue(std::shared_ptr<const PickleNode> node, std::string file, std::string path);

    PickleKind kind() const;
    std::string_view type_name() const { return pickle_kind_name(kind()); }
    // "mosei.pkl: train/vision", or just the file at the root: the prefix of every error.
    std::string where() const;
    const std::string& key_path() const { return path_; }
    bool is_none() const { return kind() == PickleKind::None; }

    // Dicts. at() and contains() look up str keys; a missing key's error lists the keys there.
    bool contains(std::string_view key) const;
    PickleValue at(std::string_view key) const;
    std::vector<std::string> keys() const;  // each key as text: str keys as they are, others as Python repr
    std::vector<std::pair<PickleValue, PickleValue>> items() const;

    // Lists and tuples (size() also counts dict entries).
    std::size_t size() const;
    PickleValue at(std::size_t index) const;
    std::vector<PickleValue> as_list() const;

    bool as_bool() const;
    std::int64_t as_int() const;  // an int or a bool
    double as_float() const;      // a float, an int or a bool
    std::string as_str() const;   // UTF-8; Python 2 strings are decoded as Latin-1
    std::vector<std::uint8_t> as_bytes() const;
    // A numeric array. Throws DataError naming the key path for anything else, opaque arrays
    // included ("train/id: a numpy array of dtype <U11 is not numeric").
    const NumpyArray& as_array() const;
    // Any numpy array, numeric or opaque: numpy's str(dtype) ("float32", "<U11", "|S5", "object")
    // and the shape ({} for a 0-d array).
    bool is_array() const;
    std::string array_dtype() const;
    std::vector<std::int64_t> array_shape() const;

    std::string repr() const;  // short Python-like text, for keys and messages

private:
    [[noreturn]] void mismatch(std::string_view expected) const;
    const PickleNode& node() const { return *node_; }
    PickleValue child(std::shared_ptr<const PickleNode> node, const std::string& step) const;

    std::shared_ptr<const PickleNode> node_;
    std::string file_;
    std::string path_;  // "train/vision"; empty at the root
};

}  // namespace sm4

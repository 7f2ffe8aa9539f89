// The nodes behind PickleValue, shared by the pickle reader (which builds and mutates them,
// since pickles append to lists and fill dicts after creating them) and the accessors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/numpy_array.h"
#include "formats/pickle_value.h"

namespace sm4 {

using ByteBuffer = std::vector<std::uint8_t>;
using PickleNodePtr = std::shared_ptr<PickleNode>;

struct PickleNode {
    PickleNode() = default;
    PickleNode(const PickleNode&) = default;
    PickleNode& operator=(const PickleNode&) = default;
    // Frees the children without recursion (a list nested a million deep would overflow the
    // stack as one destructor call per level).
    ~PickleNode();

    PickleKind kind = PickleKind::None;
    bool boolean = false;
    std::int64_t integer = 0;
    double real = 0;
    // Str (UTF-8, or one byte per character when latin1), Bytes and the data of StrArray and
    // BytesArray; shared so an array's data can use the same buffer without a copy.
    std::shared_ptr<const ByteBuffer> bytes;
    bool latin1 = false;  // a Python 2 string (STRING, BINSTRING), read as encoding='latin1' does
    std::vector<PickleNodePtr> items;                            // List, Tuple, ObjectArray
    std::vector<std::pair<PickleNodePtr, PickleNodePtr>> entries;  // Dict, in insertion order
    std::unordered_map<std::string, std::size_t> index;          // Dict: key identity -> entry
    std::shared_ptr<NumpyArray> array;  // Array; null until BUILD fills a reconstructed array
    // Global: "module name"; DType: type without order ("f4", "U11"); StrArray, BytesArray,
    // ObjectArray: numpy's str(dtype) ("<U11", "|S5", "object").
    std::string name;
    // StrArray, BytesArray and ObjectArray: the shape; their element bytes as stored (in `bytes`)
    // or their objects in C order (in `items`) are kept but never converted.
    std::vector<std::int64_t> shape;
    char byte_order = '=';              // DType: '<', '>', '|' or '=' (native, little-endian here)
};

PickleNodePtr make_node(PickleKind kind);
PickleNodePtr make_bool(bool value);
PickleNodePtr make_int(std::int64_t value);
PickleNodePtr make_float(double value);
PickleNodePtr make_text(PickleKind kind, ByteBuffer bytes, bool latin1 = false);  // Str or Bytes

// A Str node as UTF-8, or a Str or Bytes node as raw bytes (a UTF-8 str's characters must all
// be below 256, as _codecs.encode(s, 'latin1') requires; `where` starts the error otherwise).
std::string text_utf8(const PickleNode& node);
std::shared_ptr<const ByteBuffer> raw_bytes(const PickleNode& node, const std::string& where);

// Tuples deeper than this, or whose identity is longer (a tuple repeating one tuple many times
// over, nested, grows exponentially), are refused as dict keys.
inline constexpr int kMaxPickleKeyDepth = 100;
inline constexpr std::size_t kMaxPickleKeyBytes = 1 << 16;

// Python's equality for hashable keys, as a string (1 == 1.0 == True); empty when the node is
// not hashable (list, dict, array) or a tuple beyond kMaxPickleKeyDepth or kMaxPickleKeyBytes.
std::string key_identity(const PickleNode& node, int depth = 0);
// A short description for messages (at most ~40 characters; nested tuples shown two levels deep).
std::string node_repr(const PickleNode& node, int depth = 0);

// dict[key] = value (a later equal key replaces the value, as in Python); false when the key is
// not hashable.
bool dict_set(PickleNode& dict, PickleNodePtr key, PickleNodePtr value);

}  // namespace sm4

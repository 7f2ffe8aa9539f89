#include "formats/pickle_node.h"

#include <fmt/format.h>

#include <cmath>

#include "core/errors.h"

namespace sm4 {

PickleNodePtr make_node(PickleKind kind) {
    auto node = std::make_shared<PickleNode>();
    node->kind = kind;
    return node;
}

PickleNodePtr make_bool(bool value) {
    auto node = make_node(PickleKind::Bool);
    node->boolean = value;
    return node;
}

PickleNodePtr make_int(std::int64_t value) {
    auto node = make_node(PickleKind::Int);
    node->integer = value;
    return node;
}

PickleNodePtr make_float(double value) {
    auto node = make_node(PickleKind::Float);
    node->real = value;
    return node;
}

PickleNodePtr make_text(PickleKind kind, ByteBuffer bytes, bool latin1) {
    auto node = make_node(kind);
    node->bytes = std::make_shared<const ByteBuffer>(std::move(bytes));
    node->latin1 = latin1;
    return node;
}

std::string text_utf8(const PickleNode& node) {
    const ByteBuffer& bytes = *node.bytes;
    if (!node.latin1) return std::string(bytes.begin(), bytes.end());
    std::string out;
    out.reserve(bytes.size());
    for (const std::uint8_t b : bytes) {
        if (b < 0x80) {
            out += static_cast<char>(b);
        } else {
            out += static_cast<char>(0xc0 | (b >> 6));
            out += static_cast<char>(0x80 | (b & 0x3f));
        }
    }
    return out;
}

std::shared_ptr<const ByteBuffer> raw_bytes(const PickleNode& node, const std::string& where) {
    if (node.kind == PickleKind::Bytes || node.latin1) return node.bytes;
    // A str standing for bytes (Python 3 protocol 2 writes bytes as _codecs.encode(str, 'latin1')):
    // every character is one byte, U+0080..U+00FF being two bytes of UTF-8 (lead 0xc2 or 0xc3).
    // Branch-free, since array data makes the branches unpredictable; validity is checked once.
    const ByteBuffer& text = *node.bytes;
    auto out = std::make_shared<ByteBuffer>(text.size());
    std::uint8_t* next = out->data();
    bool previous_lead = false, invalid = false;
    std::uint8_t previous = 0;
    for (const std::uint8_t b : text) {
        const bool lead = (b & 0xfe) == 0xc2;
        const bool continuation = (b & 0xc0) == 0x80;
        invalid |= (continuation != previous_lead) | ((b >= 0xc0) & !lead);
        *next = continuation ? static_cast<std::uint8_t>(((previous & 0x03) << 6) | (b & 0x3f)) : b;
        next += !lead;  // a lead byte is overwritten by its continuation
        previous_lead = lead;
        previous = b;
    }
    if (invalid || previous_lead)
        throw DataError(fmt::format("{}: a str holding raw data has characters above U+00FF (expected Latin-1 text)",
                                    where));
    out->resize(static_cast<std::size_t>(next - out->data()));
    return out;
}

PickleNode::~PickleNode() {
    if (items.empty() && entries.empty()) return;
    std::vector<PickleNodePtr> pending;
    const auto take_children = [&pending](PickleNode& node) {
        for (auto& item : node.items) pending.push_back(std::move(item));
        node.items.clear();
        for (auto& [key, value] : node.entries) {
            pending.push_back(std::move(key));
            pending.push_back(std::move(value));
        }
        node.entries.clear();
    };
    take_children(*this);
    while (!pending.empty()) {
        PickleNodePtr node = std::move(pending.back());
        pending.pop_back();
        // The last owner empties it first, so its own destructor has nothing to descend into.
        if (node && node.use_count() == 1) take_children(*node);
    }
}

std::string key_identity(const PickleNode& node, int depth) {
    switch (node.kind) {
    case PickleKind::None: return "N";
    case PickleKind::Bool: return node.boolean ? "i1" : "i0";
    case PickleKind::Int: return "i" + std::to_string(node.integer);
    case PickleKind::Float:
        if (node.real == std::trunc(node.real) && std::fabs(node.real) < 9e18)
            return "i" + std::to_string(static_cast<std::int64_t>(node.real));
        return fmt::format("f{}", node.real);
    case PickleKind::Str: return "s" + text_utf8(node);
    case PickleKind::Bytes: return "b" + std::string(node.bytes->begin(), node.bytes->end());
    case PickleKind::Tuple: {
        if (depth >= kMaxPickleKeyDepth) return "";
        std::string identity = "t";
        for (const auto& item : node.items) {
            const std::string part = key_identity(*item, depth + 1);
            if (part.empty()) return "";
            identity += std::to_string(part.size()) + ":" + part;
            if (identity.size() > kMaxPickleKeyBytes) return "";
        }
        return identity;
    }
    default: return "";
    }
}

bool dict_set(PickleNode& dict, PickleNodePtr key, PickleNodePtr value) {
    std::string identity = key_identity(*key);
    if (identity.empty()) return false;
    const auto [slot, added] = dict.index.emplace(std::move(identity), dict.entries.size());
    if (added) dict.entries.emplace_back(std::move(key), std::move(value));
    else dict.entries[slot->second].second = std::move(value);
    return true;
}

std::string node_repr(const PickleNode& node, int depth) {
    const auto shortened = [](std::string text) { return text.size() > 40 ? text.substr(0, 37) + "..." : text; };
    switch (node.kind) {
    case PickleKind::None: return "None";
    case PickleKind::Bool: return node.boolean ? "True" : "False";
    case PickleKind::Int: return std::to_string(node.integer);
    case PickleKind::Float: return fmt::format("{}", node.real);
    case PickleKind::Str: return "'" + shortened(text_utf8(node)) + "'";
    case PickleKind::Bytes: return fmt::format("bytes of length {}", node.bytes->size());
    case PickleKind::Tuple: {
        if (depth >= 2 && !node.items.empty()) return "(...)";
        std::string text = "(";
        for (std::size_t i = 0; i < node.items.size() && text.size() <= 40; ++i)
            text += (i ? ", " : "") + node_repr(*node.items[i], depth + 1);
        return shortened(text + (node.items.size() == 1 ? ",)" : ")"));
    }
    case PickleKind::List: return fmt::format("list of length {}", node.items.size());
    case PickleKind::Dict: return fmt::format("dict of length {}", node.entries.size());
    case PickleKind::Array:
        return node.array ? fmt::format("{} array {}", node.array->dtype(), shape_text(node.array->shape))
                          : "unfilled array";
    case PickleKind::StrArray:
    case PickleKind::BytesArray:
    case PickleKind::ObjectArray: return fmt::format("{} array {}", node.name, shape_text(node.shape));
    case PickleKind::Global: return node.name;
    case PickleKind::DType: return fmt::format("dtype('{}{}')", node.byte_order, node.name);
    }
    return "?";
}

}  // namespace sm4

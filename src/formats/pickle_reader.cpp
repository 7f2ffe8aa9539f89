#include "formats/pickle_reader.h"

#include <fmt/format.h>

#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "core/errors.h"
#include "formats/pickle_globals.h"
#include "formats/pickle_input.h"
#include "formats/pickle_node.h"
#include "formats/pickle_text.h"

namespace sm4 {

namespace {

struct Opcode {
    std::uint8_t code;
    std::string_view name;
};

// Every opcode of protocols 0-5, so a refusal can name what it refused.
constexpr Opcode kOpcodes[] = {
    {'(', "MARK"}, {'.', "STOP"}, {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"}, {'F', "FLOAT"}, {'I', "INT"},
    {'J', "BININT"}, {'K', "BININT1"}, {'L', "LONG"}, {'M', "BININT2"}, {'N', "NONE"}, {'P', "PERSID"},
    {'Q', "BINPERSID"}, {'R', "REDUCE"}, {'S', "STRING"}, {'T', "BINSTRING"}, {'U', "SHORT_BINSTRING"},
    {'V', "UNICODE"}, {'X', "BINUNICODE"}, {'a', "APPEND"}, {'b', "BUILD"}, {'c', "GLOBAL"}, {'d', "DICT"},
    {'}', "EMPTY_DICT"}, {'e', "APPENDS"}, {'g', "GET"}, {'h', "BINGET"}, {'i', "INST"}, {'j', "LONG_BINGET"},
    {'l', "LIST"}, {']', "EMPTY_LIST"}, {'o', "OBJ"}, {'p', "PUT"}, {'q', "BINPUT"}, {'r', "LONG_BINPUT"},
    {'s', "SETITEM"}, {'t', "TUPLE"}, {')', "EMPTY_TUPLE"}, {'u', "SETITEMS"}, {'G', "BINFLOAT"},
    {0x80, "PROTO"}, {0x81, "NEWOBJ"}, {0x82, "EXT1"}, {0x83, "EXT2"}, {0x84, "EXT4"}, {0x85, "TUPLE1"},
    {0x86, "TUPLE2"}, {0x87, "TUPLE3"}, {0x88, "NEWTRUE"}, {0x89, "NEWFALSE"}, {0x8a, "LONG1"}, {0x8b, "LONG4"},
    {'B', "BINBYTES"}, {'C', "SHORT_BINBYTES"}, {0x8c, "SHORT_BINUNICODE"}, {0x8d, "BINUNICODE8"},
    {0x8e, "BINBYTES8"}, {0x8f, "EMPTY_SET"}, {0x90, "ADDITEMS"}, {0x91, "FROZENSET"}, {0x92, "NEWOBJ_EX"},
    {0x93, "STACK_GLOBAL"}, {0x94, "MEMOIZE"}, {0x95, "FRAME"}, {0x96, "BYTEARRAY8"}, {0x97, "NEXT_BUFFER"},
    {0x98, "READONLY_BUFFER"},
};

std::string_view opcode_name(std::uint8_t code) {
    for (const auto& op : kOpcodes)
        if (op.code == code) return op.name;
    return "";
}

class PickleMachine {
public:
    PickleMachine(ByteSource& source, std::string file) : input_(source, file), file_(std::move(file)) {}

    PickleNodePtr run() {
        while (true) {
            op_offset_ = input_.offset();
            if (input_.at_end())
                throw DataError(fmt::format("{}: byte {}: file ends before STOP (truncated pickle)", file_, op_offset_));
            op_ = input_.byte("an opcode");
            if (op_ == '.') return pop();
            step();
        }
    }

private:
    std::string here() const { return fmt::format("{}: byte {}", file_, op_offset_); }
    [[noreturn]] void fail(const std::string& what) const { throw DataError(here() + ": " + what); }
    std::string_view name() const { return opcode_name(op_); }

    void push(PickleNodePtr node) {
        created_.push_back(node);
        stack_.push_back(std::move(node));
    }
    PickleNodePtr pop() {
        if (stack_.empty()) fail(fmt::format("{} on an empty stack (malformed pickle)", name()));
        PickleNodePtr node = std::move(stack_.back());
        stack_.pop_back();
        return node;
    }
    const PickleNodePtr& top_ptr() const {
        if (stack_.empty()) fail(fmt::format("{} on an empty stack (malformed pickle)", name()));
        return stack_.back();
    }
    PickleNode& top() const { return *top_ptr(); }
    std::vector<PickleNodePtr> pop_mark() {
        if (metastack_.empty()) fail(fmt::format("{} without a MARK (malformed pickle)", name()));
        std::vector<PickleNodePtr> items = std::move(stack_);
        stack_ = std::move(metastack_.back());
        metastack_.pop_back();
        return items;
    }

    PickleNodePtr tuple(std::vector<PickleNodePtr> items) {
        auto node = make_node(PickleKind::Tuple);
        node->items = std::move(items);
        return node;
    }
    PickleNodePtr tuple_of_top(std::size_t n) {
        if (stack_.size() < n) fail(fmt::format("{} needs {} items on the stack (malformed pickle)", name(), n));
        std::vector<PickleNodePtr> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
        return tuple(std::move(items));
    }

    void push_text(PickleKind kind, std::uint64_t length, bool latin1 = false) {
        push(make_text(kind, input_.bytes(length, name()), latin1));
    }
    std::int64_t int_line() {
        const std::string text = input_.line(name());
        const auto value = parse_pickle_int(text);
        if (!value) fail(fmt::format("{} argument '{}' is not an integer that fits 64 bits", name(), text));
        return *value;
    }
    void push_long(std::uint64_t length) {
        const auto bytes = input_.bytes(length, name());
        const auto value = decode_long_bytes(bytes.data(), bytes.size());
        if (!value) fail(fmt::format("{} holds an integer wider than 64 bits (not supported)", name()));
        push(make_int(*value));
    }
    void push_decoded(std::optional<ByteBuffer> text, PickleKind kind, bool latin1) {
        if (!text) fail(fmt::format("malformed {} argument", name()));
        push(make_text(kind, std::move(*text), latin1));
    }

    void append_items(std::vector<PickleNodePtr> items) {
        PickleNode& list = top();
        if (list.kind != PickleKind::List) fail(fmt::format("{} to {} (only lists)", name(), node_repr(list)));
        list.items.insert(list.items.end(), std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
    }
    void set_items(PickleNode& dict, std::vector<PickleNodePtr> items) {
        if (dict.kind != PickleKind::Dict) fail(fmt::format("{} on {} (only dicts)", name(), node_repr(dict)));
        if (items.size() % 2 != 0) fail(fmt::format("{} with an odd number of items (malformed pickle)", name()));
        for (std::size_t i = 0; i < items.size(); i += 2)
            if (!dict_set(dict, items[i], items[i + 1]))
                fail(fmt::format("unhashable dict key ({}), or a tuple key nested deeper than {} or longer than {} "
                                 "bytes", node_repr(*items[i]), kMaxPickleKeyDepth, kMaxPickleKeyBytes));
    }

    void memo_put(std::uint64_t key) { memo_[key] = top_ptr(); }
    void memo_get(std::uint64_t key) {
        const auto found = memo_.find(key);
        if (found == memo_.end()) fail(fmt::format("{} of memo key {}, which was never stored", name(), key));
        push(found->second);
    }

    void global(const std::string& module, const std::string& symbol) { push(resolve_global(module, symbol, here())); }
    void stack_global() {
        const PickleNodePtr name = pop(), module = pop();
        if (name->kind != PickleKind::Str || module->kind != PickleKind::Str)
            fail("STACK_GLOBAL needs a module and a name as str");
        global(text_utf8(*module), text_utf8(*name));
    }
    void call() {
        const PickleNodePtr args = pop(), callable = pop();
        push(call_global(*callable, *args, here()));
    }
    void build() {
        const PickleNodePtr state = pop();
        build_object(top(), *state, here());
    }

    void refuse() const {
        const std::string_view known = opcode_name(op_);
        fail(known.empty() ? fmt::format("refused unknown opcode 0x{:02x} (not a pickle, or a newer protocol)", op_)
                           : fmt::format("refused opcode 0x{:02x} {} (outside the safe subset: no persistent ids, "
                                         "extensions, sets or out-of-band buffers)", op_, known));
    }

    void step();

public:
    // Empties the containers among the nodes this machine pushed that `keep` does not reach (all
    // of them without `keep`): a list appended to itself through the memo is a reference cycle
    // that shared ownership alone would never free.
    void release_unreachable(const PickleNode* keep) {
        std::unordered_set<const PickleNode*> reachable;
        if (keep) {
            std::vector<const PickleNode*> pending{keep};
            while (!pending.empty()) {
                const PickleNode* node = pending.back();
                pending.pop_back();
                if (!reachable.insert(node).second) continue;
                for (const auto& item : node->items) pending.push_back(item.get());
                for (const auto& [key, value] : node->entries) {
                    pending.push_back(key.get());
                    pending.push_back(value.get());
                }
            }
        }
        for (const auto& weak : created_)
            if (const PickleNodePtr node = weak.lock(); node && !reachable.count(node.get())) {
                node->items.clear();
                node->entries.clear();
                node->index.clear();
            }
    }

private:
    PickleInput input_;
    std::string file_;
    std::vector<std::weak_ptr<PickleNode>> created_;  // every node pushed, for release_unreachable
    std::vector<PickleNodePtr> stack_;
    std::vector<std::vector<PickleNodePtr>> metastack_;  // the stacks saved by MARK
    std::unordered_map<std::uint64_t, PickleNodePtr> memo_;
    std::uint64_t op_offset_ = 0;
    std::uint8_t op_ = 0;
};

void PickleMachine::step() {
    switch (op_) {
    case 0x80: {  // PROTO
        const std::uint8_t protocol = input_.byte(name());
        if (protocol > 5) fail(fmt::format("pickle protocol {} is newer than 5", protocol));
        break;
    }
    case 0x95: input_.uint_le(8, name()); break;  // FRAME: a length hint only
    case '(': metastack_.push_back(std::move(stack_)); stack_.clear(); break;
    case '0': if (stack_.empty()) pop_mark(); else pop(); break;
    case '1': pop_mark(); break;
    case '2': push(top_ptr()); break;

    case 'N': push(make_node(PickleKind::None)); break;
    case 0x88: push(make_bool(true)); break;
    case 0x89: push(make_bool(false)); break;
    case 'I': {
        const std::string text = input_.line(name());
        if (text == "00" || text == "01") {  // protocol 0 booleans
            push(make_bool(text == "01"));
        } else {
            const auto value = parse_pickle_int(text);
            if (!value) fail(fmt::format("INT argument '{}' is not an integer that fits 64 bits", text));
            push(make_int(*value));
        }
        break;
    }
    case 'L': push(make_int(int_line())); break;
    case 'J': push(make_int(static_cast<std::int32_t>(input_.uint_le(4, name())))); break;
    case 'K': push(make_int(input_.byte(name()))); break;
    case 'M': push(make_int(static_cast<std::int64_t>(input_.uint_le(2, name())))); break;
    case 0x8a: push_long(input_.byte(name())); break;
    case 0x8b: push_long(input_.uint_le(4, name())); break;
    case 'F': {
        const std::string text = input_.line(name());
        const auto value = parse_pickle_float(text);
        if (!value) fail(fmt::format("FLOAT argument '{}' is not a number", text));
        push(make_float(*value));
        break;
    }
    case 'G': {  // BINFLOAT: a big-endian IEEE double
        std::uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | input_.byte(name());
        double value;
        std::memcpy(&value, &bits, sizeof value);
        push(make_float(value));
        break;
    }

    case 'S': push_decoded(decode_string_repr(input_.line(name())), PickleKind::Str, true); break;
    case 'T': push_text(PickleKind::Str, input_.uint_le(4, name()), true); break;
    case 'U': push_text(PickleKind::Str, input_.byte(name()), true); break;
    case 'V': push_decoded(decode_raw_unicode_escape(input_.line(name())), PickleKind::Str, false); break;
    case 'X': push_text(PickleKind::Str, input_.uint_le(4, name())); break;
    case 0x8c: push_text(PickleKind::Str, input_.byte(name())); break;
    case 0x8d: push_text(PickleKind::Str, input_.uint_le(8, name())); break;
    case 'B': push_text(PickleKind::Bytes, input_.uint_le(4, name())); break;
    case 'C': push_text(PickleKind::Bytes, input_.byte(name())); break;
    case 0x8e: case 0x96: push_text(PickleKind::Bytes, input_.uint_le(8, name())); break;  // BINBYTES8, BYTEARRAY8

    case ']': push(make_node(PickleKind::List)); break;
    case 'l': {
        auto list = make_node(PickleKind::List);
        list->items = pop_mark();
        push(list);
        break;
    }
    case 'a': { auto item = pop(); append_items({std::move(item)}); break; }
    case 'e': append_items(pop_mark()); break;
    case ')': push(make_node(PickleKind::Tuple)); break;
    case 't': push(tuple(pop_mark())); break;
    case 0x85: push(tuple_of_top(1)); break;
    case 0x86: push(tuple_of_top(2)); break;
    case 0x87: push(tuple_of_top(3)); break;
    case '}': push(make_node(PickleKind::Dict)); break;
    case 'd': {
        auto dict = make_node(PickleKind::Dict);
        set_items(*dict, pop_mark());
        push(dict);
        break;
    }
    case 's': {
        auto value = pop();
        auto key = pop();
        set_items(top(), {std::move(key), std::move(value)});
        break;
    }
    case 'u': {
        auto items = pop_mark();
        set_items(top(), std::move(items));
        break;
    }

    case 'c': {
        const std::string module = input_.line(name());
        global(module, input_.line(name()));
        break;
    }
    case 0x93: stack_global(); break;
    case 'R': case 0x81: call(); break;  // REDUCE, NEWOBJ: only whitelisted constructors
    case 'b': build(); break;

    case 'p': memo_put(static_cast<std::uint64_t>(int_line())); break;
    case 'q': memo_put(input_.byte(name())); break;
    case 'r': memo_put(input_.uint_le(4, name())); break;
    case 0x94: memo_put(memo_.size()); break;
    case 'g': memo_get(static_cast<std::uint64_t>(int_line())); break;
    case 'h': memo_get(input_.byte(name())); break;
    case 'j': memo_get(input_.uint_le(4, name())); break;

    default: refuse();
    }
}

// Gives every array the key path it is first reached by, so its conversion errors name it.
// Linear in the nodes: each visited node keeps its parent and its own step, and a path is only
// spelled out for an array (a path string per node would make deep nesting quadratic).
void name_arrays(PickleNode& root, const std::string& file) {
    struct Visit {
        PickleNode* node;
        std::size_t parent;  // index into `visited`; npos for the root
        std::string step;
    };
    constexpr std::size_t kRoot = static_cast<std::size_t>(-1);
    std::vector<Visit> pending{{&root, kRoot, ""}}, visited;
    std::unordered_set<const PickleNode*> seen;
    while (!pending.empty()) {
        Visit visit = std::move(pending.back());
        pending.pop_back();
        if (!seen.insert(visit.node).second) continue;
        PickleNode* node = visit.node;
        visited.push_back(std::move(visit));
        const std::size_t here = visited.size() - 1;
        if (node->kind == PickleKind::Array && node->array) {
            std::vector<const std::string*> steps;
            for (std::size_t at = here; at != kRoot && visited[at].parent != kRoot; at = visited[at].parent)
                steps.push_back(&visited[at].step);
            std::string path;
            for (auto step = steps.rbegin(); step != steps.rend(); ++step) path += (path.empty() ? "" : "/") + **step;
            node->array->source = path.empty() ? file : file + ": " + path;
        }
        for (std::size_t i = 0; i < node->items.size(); ++i)
            pending.push_back({node->items[i].get(), here, std::to_string(i)});
        for (const auto& [key, value] : node->entries)
            pending.push_back({value.get(), here, key->kind == PickleKind::Str ? text_utf8(*key) : node_repr(*key)});
    }
}

// Whether a container holds itself (directly or through others): iterative depth-first search.
bool has_cycle(const PickleNode& root) {
    enum class Mark { Open, Done };
    std::unordered_map<const PickleNode*, Mark> marks;
    struct Frame {
        const PickleNode* node;
        std::size_t next;  // children visited so far: items, then entry keys and values
    };
    const auto child = [](const PickleNode& node, std::size_t i) -> const PickleNode* {
        if (i < node.items.size()) return node.items[i].get();
        i -= node.items.size();
        if (i / 2 < node.entries.size()) return (i % 2 ? node.entries[i / 2].second : node.entries[i / 2].first).get();
        return nullptr;
    };
    std::vector<Frame> path{{&root, 0}};
    marks[&root] = Mark::Open;
    while (!path.empty()) {
        Frame& top = path.back();
        const PickleNode* next = child(*top.node, top.next++);
        if (!next) {
            marks[top.node] = Mark::Done;
            path.pop_back();
            continue;
        }
        const auto found = marks.find(next);
        if (found == marks.end()) {
            marks[next] = Mark::Open;
            path.push_back({next, 0});
        } else if (found->second == Mark::Open) {
            return true;
        }
    }
    return false;
}

}  // namespace

PickleValue read_pickle(ByteSource& source, const std::string& file) {
    PickleMachine machine(source, file);
    PickleNodePtr root;
    try {
        root = machine.run();
    } catch (...) {
        machine.release_unreachable(nullptr);
        throw;
    }
    if (has_cycle(*root)) {
        machine.release_unreachable(nullptr);
        throw DataError(fmt::format("{}: a container holds itself (a recursive structure); sm4 reads trees of "
                                    "values", file));
    }
    machine.release_unreachable(root.get());
    name_arrays(*root, file);
    return PickleValue(std::move(root), file, "");
}

PickleValue read_pickle_file(const std::filesystem::path& path) {
    FileSource source(path);
    return read_pickle(source, path.string());
}

}  // namespace sm4

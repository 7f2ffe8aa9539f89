// A small JSON document builder: the one JSON writer of sm4 (every --json output, the bench and
// FLOPs documents, tables printed as JSON). Objects keep their keys in insertion order; numbers
// that are not finite are written as null, so the output always parses.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sm4 {

struct Table;

class Json {
public:
    using Array = std::vector<Json>;
    using Object = std::vector<std::pair<std::string, Json>>;

    Json() = default;                      // null
    Json(std::nullptr_t) {}
    Json(bool value) : value_(value) {}
    Json(int value) : value_(static_cast<std::int64_t>(value)) {}
    Json(long value) : value_(static_cast<std::int64_t>(value)) {}
    Json(long long value) : value_(static_cast<std::int64_t>(value)) {}
    Json(unsigned long value) : value_(static_cast<std::int64_t>(value)) {}
    Json(double value) : value_(value) {}
    Json(const char* value) : value_(std::string(value)) {}
    Json(std::string value) : value_(std::move(value)) {}
    Json(std::string_view value) : value_(std::string(value)) {}
    Json(Array value) : value_(std::move(value)) {}

    static Json object() { Json j; j.value_ = Object{}; return j; }
    static Json array() { Json j; j.value_ = Array{}; return j; }

    // Adds (or replaces) a member of an object; returns *this for chaining.
    Json& set(const std::string& key, Json value);
    // Appends to an array.
    Json& push(Json value);

    bool is_null() const { return std::holds_alternative<std::monostate>(value_); }

    // One line: {"a": 1, "b": [1, 2]}, the separators ", " and ": ".
    std::string dump() const;

private:
    std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, Object> value_;
};

// A JSON string literal: quotes, backslashes and control characters escaped; other bytes as they are.
std::string json_quote(std::string_view text);

// The table's rows as objects keyed by the columns' JSON keys, or, with `keyed`, an object keyed
// by each row's first cell (its text) holding the other columns.
Json table_json(const Table& table, bool keyed = false);

}  // namespace sm4

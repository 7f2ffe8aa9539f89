#include "core/json.h"

#include <fmt/format.h>

#include <cmath>

#include "core/table.h"

namespace sm4 {
namespace {

struct Writer {
    std::string& out;
    void operator()(std::monostate) const { out += "null"; }
    void operator()(bool v) const { out += v ? "true" : "false"; }
    void operator()(std::int64_t v) const { out += std::to_string(v); }
    void operator()(double v) const { out += std::isfinite(v) ? fmt::format("{}", v) : "null"; }
    void operator()(const std::string& v) const { out += json_quote(v); }
    void operator()(const Json::Array& items) const {
        out += '[';
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i) out += ", ";
            out += items[i].dump();
        }
        out += ']';
    }
    void operator()(const Json::Object& members) const {
        out += '{';
        for (std::size_t i = 0; i < members.size(); ++i) {
            if (i) out += ", ";
            out += json_quote(members[i].first) + ": ";
            out += members[i].second.dump();
        }
        out += '}';
    }
};

Json cell_json(const Cell& cell) {
    if (cell.stat) {
        Json stat = Json::object();
        stat.set("mean", cell.stat->mean);
        stat.set("std", cell.stat->n >= 2 ? Json(cell.stat->std) : Json());
        stat.set("n", cell.stat->n);
        stat.set("delta", cell.stat->delta ? Json(*cell.stat->delta) : Json());
        stat.set("best", cell.best);
        return stat;
    }
    return std::visit([](const auto& v) -> Json {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) return Json();
        else return Json(v);
    }, cell.value);
}

}  // namespace

Json& Json::set(const std::string& key, Json value) {
    auto& members = std::get<Object>(value_);
    for (auto& member : members)
        if (member.first == key) {
            member.second = std::move(value);
            return *this;
        }
    members.emplace_back(key, std::move(value));
    return *this;
}

Json& Json::push(Json value) {
    std::get<Array>(value_).push_back(std::move(value));
    return *this;
}

std::string Json::dump() const {
    std::string out;
    std::visit(Writer{out}, value_);
    return out;
}

std::string json_quote(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<int>(c));
                else out += c;
        }
    }
    return out + "\"";
}

Json table_json(const Table& table, bool keyed) {
    Json out = keyed ? Json::object() : Json::array();
    for (const auto& row : table.rows) {
        Json record = Json::object();
        for (std::size_t c = keyed ? 1 : 0; c < table.columns.size(); ++c)
            record.set(column_key(table.columns[c]), c < row.size() ? cell_json(row[c]) : Json());
        if (keyed) out.set(row.empty() ? "" : row[0].text, std::move(record));
        else out.push(std::move(record));
    }
    return out;
}

}  // namespace sm4

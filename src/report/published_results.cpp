#include "report/published_results.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/errors.h"
#include "core/toml_text.h"

#ifndef SM4_SOURCE_DIR
#define SM4_SOURCE_DIR "."
#endif

namespace sm4 {
namespace {

constexpr const char* kKinds[] = {"scores", "params_m", "gflops", "gradient_blend", "missing_modality_drop"};

struct Reader {
    std::string file;

    std::string where(const toml::node& node) const { return fmt::format("{}:{}", file, node.source().begin.line); }

    [[noreturn]] void fail(const toml::node& node, const std::string& what) const {
        throw ConfigError(fmt::format("{}: {}", where(node), what));
    }

    const toml::node& field(const toml::table& table, const char* key, const char* context) const {
        const toml::node* node = table.get(key);
        if (!node) fail(table, fmt::format("{} needs '{}'", context, key));
        return *node;
    }

    std::string text(const toml::table& table, const char* key, const char* context, bool required = true) const {
        const toml::node* node = table.get(key);
        if (!node && !required) return "";
        const toml::node& n = node ? *node : field(table, key, context);
        if (!n.is_string()) fail(n, fmt::format("{} '{}' expects a string", context, key));
        return *n.value_exact<std::string>();
    }

    double number(const toml::node& node, const std::string& what) const {
        std::optional<double> value;
        if (node.is_floating_point()) value = *node.value_exact<double>();
        else if (node.is_integer()) value = static_cast<double>(*node.value_exact<std::int64_t>());
        if (!value) fail(node, fmt::format("{} expects a number", what));
        if (!std::isfinite(*value)) fail(node, fmt::format("{} is {}; expected a finite number", what, *value));
        return *value;
    }

    std::vector<std::string> strings(const toml::table& table, const char* key, const char* context) const {
        const toml::node& n = field(table, key, context);
        const toml::array* array = n.as_array();
        if (!array || array->empty()) fail(n, fmt::format("{} '{}' expects a non-empty list of strings", context, key));
        std::vector<std::string> out;
        for (const auto& item : *array) {
            if (!item.is_string()) fail(item, fmt::format("{} '{}' expects strings", context, key));
            out.push_back(*item.value_exact<std::string>());
        }
        return out;
    }

    PublishedRow row(const toml::node& node, const PublishedTable& table) const {
        const toml::table* t = node.as_table();
        if (!t) fail(node, fmt::format("table {}: rows expects inline tables {{ method = ..., values = [...] }}", table.number));
        PublishedRow row;
        row.line = static_cast<int>(node.source().begin.line);
        row.method = text(*t, "method", "a row");
        row.name = text(*t, "name", "a row");
        const toml::node& values = field(*t, "values", "a row");
        const toml::array* array = values.as_array();
        if (!array || array->size() != table.columns.size())
            fail(values, fmt::format("table {} row '{}': values expects {} numbers, one per column ({}), or \"-\"",
                                     table.number, row.method, table.columns.size(), fmt::join(table.columns, ", ")));
        for (const auto& item : *array) {
            if (item.is_string() && *item.value_exact<std::string>() == "-") row.values.emplace_back();
            else row.values.push_back(number(item, fmt::format("table {} row '{}': a value", table.number, row.method)));
        }
        if (const toml::node* delta = t->get("delta"))
            row.delta = number(*delta, fmt::format("table {} row '{}': delta", table.number, row.method));
        for (const auto& [key, value] : *t)
            if (key != "method" && key != "name" && key != "values" && key != "delta")
                fail(value, fmt::format("table {} row '{}' has no field '{}' (it takes method, name, values, delta)",
                                        table.number, row.method, key.str()));
        return row;
    }

    PublishedTable table(const toml::node& node) const {
        const toml::table* t = node.as_table();
        if (!t) fail(node, "'table' expects [[table]] tables");
        PublishedTable table;
        const toml::node& number = field(*t, "number", "a [[table]]");
        if (!number.is_integer()) fail(number, "a [[table]]'s 'number' expects an integer (the paper's table number)");
        table.number = static_cast<int>(*number.value_exact<std::int64_t>());
        table.kind = text(*t, "kind", "a [[table]]");
        if (std::find(std::begin(kKinds), std::end(kKinds), table.kind) == std::end(kKinds))
            fail(*t->get("kind"), fmt::format("table {}: kind '{}' is not one of {}", table.number, table.kind,
                                             fmt::join(kKinds, ", ")));
        table.group = text(*t, "group", "a [[table]]");
        table.caption = text(*t, "caption", "a [[table]]");
        table.columns = strings(*t, "columns", "a [[table]]");
        if (table.kind == "scores") {
            table.metrics = strings(*t, "metrics", "a scores [[table]]");
            if (table.metrics.size() != table.columns.size())
                fail(*t->get("metrics"), fmt::format("table {}: metrics expects one per column ({})", table.number,
                                                    table.columns.size()));
        }
        const toml::node& rows = field(*t, "rows", "a [[table]]");
        const toml::array* array = rows.as_array();
        if (!array || array->empty()) fail(rows, fmt::format("table {}: rows expects a non-empty list", table.number));
        for (const auto& item : *array) table.rows.push_back(row(item, table));
        return table;
    }
};

}  // namespace

const PublishedRow* PublishedTable::find(const std::string& method) const {
    for (const auto& row : rows)
        if (row.method == method) return &row;
    return nullptr;
}

std::vector<std::pair<std::string, std::vector<std::string>>> PublishedResults::groups() const {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    for (const auto& table : tables)
        if (table.number == 2 && table.kind == "scores") out.emplace_back(table.group, table.columns);
    return out;
}

std::vector<const PublishedTable*> PublishedResults::tables_of(const std::string& group, const std::string& kind) const {
    std::vector<const PublishedTable*> out;
    for (const auto& table : tables)
        if (table.group == group && table.kind == kind) out.push_back(&table);
    std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->number < b->number; });
    return out;
}

PublishedResults read_published_results(const std::filesystem::path& path) {
    const std::string origin = path.string();
    const toml::table doc = parse_toml_text(read_toml_file_text(path, "the published results file"), origin);
    const Reader reader{origin};
    PublishedResults results;
    results.path = path;
    for (const auto& [key, node] : doc) {
        if (key == "source") {
            if (!node.is_string()) reader.fail(node, "'source' expects a string (the paper cited)");
            results.source = *node.value_exact<std::string>();
        } else if (key == "table") {
            const toml::array* tables = node.as_array();
            if (!tables) reader.fail(node, "'table' expects [[table]] tables");
            for (const auto& item : *tables) results.tables.push_back(reader.table(item));
        } else {
            reader.fail(node, fmt::format("unknown key '{}' (the file holds 'source' and [[table]]s)", key.str()));
        }
    }
    if (results.groups().empty())
        throw ConfigError(fmt::format("{}: no table 2 of kind \"scores\": it names the task groups", origin));
    return results;
}

std::filesystem::path default_published_results() {
    const std::filesystem::path relative = std::filesystem::path("results") / "published" / "peng25a.toml";
    for (const std::filesystem::path& root : {std::filesystem::path("."), std::filesystem::path(SM4_SOURCE_DIR)})
        if (std::filesystem::exists(root / relative)) return root / relative;
    return {};
}

}  // namespace sm4

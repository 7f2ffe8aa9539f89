// The record printers: one table, five formats, each exactly as documented in core/table.h.
#include <catch.hpp>

#include <cmath>
#include <limits>

#include "core/json.h"
#include "core/table.h"

using namespace sm4;

namespace {

Table sample() {
    Table t;
    t.title = "Runs";
    t.columns = {{"name", "", 0, true}, {"steps"}, {"loss", "", -1}};
    t.add_row({text_cell("a,b"), value_cell(std::int64_t{12}, "12"), number_cell(0.5, 3)});
    t.add_row({text_cell("line\nbreak"), missing_cell(), number_cell(std::nan(""), 3)});
    t.notes = {"a note"};
    return t;
}

}  // namespace

TEST_CASE("table: text aligns numbers right and keeps each row on one line", "[core][table]") {
    CHECK(print_table(sample(), TableFormat::Text) ==
          "Runs\n"
          "name         steps  loss ↓\n"
          "-----------  -----  ------\n"
          "a,b             12   0.500\n"
          "line\\nbreak      -       -\n"
          "a note\n");
}

TEST_CASE("table: markdown marks code columns and escapes pipes; LaTeX escapes its specials", "[core][table]") {
    Table t = sample();
    t.rows[0][0] = text_cell("x|y_z");
    CHECK(print_table(t, TableFormat::Markdown) ==
          "### Runs\n\n| name | steps | loss ↓ |\n|---|---:|---:|\n| `x\\|y_z` | 12 | 0.500 |\n"
          "| `line break` | - | - |\n\na note\n");
    CHECK_THAT(print_table(t, TableFormat::Latex), Catch::Contains("\\texttt{x|y\\_z} & 12 & 0.500 \\\\"));
}

TEST_CASE("table: CSV holds values, quotes what needs it and leaves missing values empty", "[core][table]") {
    CHECK(print_table(sample(), TableFormat::Csv) == "name,steps,loss\n\"a,b\",12,0.5\n\"line\nbreak\",,\n");
}

TEST_CASE("table: JSON rows are objects keyed by column keys; NaN is null; statistics are objects", "[core][table]") {
    Table t = sample();
    Cell stat;
    stat.stat = Statistic{0.25, 0.01, 3, -0.5};
    stat.best = true;
    t.add_row({text_cell("s"), value_cell(true), stat});
    CHECK(table_json(t).dump() ==
          "[{\"name\": \"a,b\", \"steps\": 12, \"loss\": 0.5}, {\"name\": \"line\\nbreak\", \"steps\": null, "
          "\"loss\": null}, {\"name\": \"s\", \"steps\": true, \"loss\": {\"mean\": 0.25, \"std\": 0.01, \"n\": 3, "
          "\"delta\": -0.5, \"best\": true}}]");
    CHECK(table_json(t, true).dump().rfind("{\"a,b\": {\"steps\": 12", 0) == 0);
    Json j = Json::object();
    j.set("ctl", std::string("\x01\t\"\\")).set("inf", std::numeric_limits<double>::infinity());
    CHECK(j.dump() == "{\"ctl\": \"\\u0001\\t\\\"\\\\\", \"inf\": null}");
}

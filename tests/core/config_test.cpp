#include <catch.hpp>

#include <fstream>
#include <sstream>

#include "core/config_loader.h"
#include "core/config_schema.h"
#include "core/errors.h"
#include "core/table.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::TempDir;
using Catch::Matchers::Contains;

namespace {

std::filesystem::path write_file(const TempDir& dir, const std::string& name, const std::string& text) {
    const auto path = dir / name;
    std::ofstream(path) << text;
    return path;
}

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const ConfigError& e) {
        return e.what();
    }
    FAIL("expected a ConfigError");
    return "";
}

}  // namespace

TEST_CASE("config: defaults come from the structs and are marked default", "[config]") {
    const ResolvedConfig c = load_config({}, {});
    CHECK(c.values.data.root == "datasets");
    CHECK(c.values.data.tasks == std::vector<std::string>{"fashion-mnist", "digits-av", "breast-cancer", "wine"});
    CHECK(c.sources.at("data.seed") == "default");
}

TEST_CASE("config: an unknown key names the file, the line, the key and the closest valid key", "[config]") {
    TempDir dir;
    const auto path = write_file(dir, "bad.toml", "[data]\nroot = \"x\"\nsed = 4\n");
    const std::string message = error_of([&] { load_config({path}, {}); });
    CHECK_THAT(message, Contains(path.string() + ":3"));
    CHECK_THAT(message, Contains("unknown key 'data.sed'"));
    CHECK_THAT(message, Contains("did you mean 'data.seed'?"));
}

TEST_CASE("config: an unknown key in a nested section is found too", "[config]") {
    TempDir dir;
    const auto path = write_file(dir, "bad.toml", "[preprocess.digits_av]\nn_mel = 40\n");
    const std::string message = error_of([&] { load_config({path}, {}); });
    CHECK_THAT(message, Contains(":2: unknown key 'preprocess.digits_av.n_mel' (did you mean 'preprocess.digits_av.n_mels'?)"));
}

TEST_CASE("config: a wrong type names the expected type", "[config]") {
    TempDir dir;
    const auto path = write_file(dir, "bad.toml", "[data]\nseed = \"seven\"\n");
    const std::string message = error_of([&] { load_config({path}, {}); });
    CHECK_THAT(message, Contains(path.string() + ":2: key 'data.seed' expects an integer, found a string"));

    const auto list = write_file(dir, "list.toml", "[data]\ntasks = [\"wine\", 3]\n");
    CHECK_THAT(error_of([&] { load_config({list}, {}); }), Contains("expects a list of strings, found an array"));
    CHECK_THAT(error_of([&] { load_config({}, {"data.val_fraction=lots"}); }),
               Contains("--set: key 'data.val_fraction' expects a number, found 'lots'"));
}

TEST_CASE("config: text with control characters is refused, naming the key and escaping the text", "[config][errors]") {
    TempDir dir;
    const auto path = write_file(dir, "nul.toml", "[data]\nroot = \"data\\u0000sets\"\n");
    const std::string message = error_of([&] { load_config({path}, {}); });
    CHECK(message == path.string() + ":2: key 'data.root' expects text without control characters, found \"data\\x00sets\"");
    const auto list = write_file(dir, "list.toml", "[data]\ntasks = [\"wine\", \"a\\nb\"]\n");
    CHECK_THAT(error_of([&] { load_config({list}, {}); }),
               Contains("key 'data.tasks' expects text without control characters, found \"a\\x0ab\""));
    CHECK_THAT(error_of([&] { load_config({}, {"output.run_name=two\nlines"}); }),
               Contains("--set: key 'output.run_name' expects text without control characters, found \"two\\x0alines\""));
}

TEST_CASE("config: values out of range and sections given as values are refused", "[config]") {
    TempDir dir;
    CHECK_THAT(error_of([&] { load_config({}, {"data.val_fraction=0.9"}); }),
               Contains("key 'data.val_fraction' expects a value in [0, 0.5]"));
    const auto path = write_file(dir, "bad.toml", "data = 3\n");
    CHECK_THAT(error_of([&] { load_config({path}, {}); }), Contains("'data' is a section and expects a table"));
    CHECK_THAT(error_of([&] { load_config({}, {"preprocess.digits_av.rate_min=300", "preprocess.digits_av.rate_max=200"}); }),
               Contains("preprocess.digits_av.rate_min (300) must not exceed preprocess.digits_av.rate_max (200)"));
}

TEST_CASE("config: NaN and infinities are refused for every numeric key, in files and in --set", "[config][errors]") {
    TempDir dir;
    int numeric = 0;
    for (const auto& f : config_fields()) {
        if (f.type != ConfigType::Float) continue;
        ++numeric;
        INFO(f.key);
        const std::string leaf = f.key.substr(f.key.rfind('.') + 1);
        const std::string section = f.key.substr(0, f.key.rfind('.'));
        for (const std::string value : {"nan", "inf", "-inf"}) {
            CHECK_THAT(error_of([&] { load_config({}, {f.key + "=" + value}); }),
                       Contains("--set: key '" + f.key + "' expects"));
            const auto path = write_file(dir, "bad.toml", "[" + section + "]\n" + leaf + " = " + value + "\n");
            CHECK_THAT(error_of([&] { load_config({path}, {}); }), Contains("key '" + f.key + "' expects"));
        }
    }
    CHECK(numeric >= 20);
    // Lists of numbers too.
    CHECK_THAT(error_of([&] { load_config({}, {"data.tasks=wine,breast-cancer", "train.task_weights=[1, nan]"}); }),
               Contains("train.task_weights"));
    CHECK_THAT(error_of([&] { load_config({}, {"data.tasks=wine,breast-cancer", "train.select_weights=[inf, 1]"}); }),
               Contains("train.select_weights"));
}

TEST_CASE("config: nesting beyond sm4's limit is refused before the parser recurses", "[config][errors]") {
    TempDir dir;
    // A table header 100,000 levels deep overflowed the parser's stack.
    std::string header = "[a";
    for (int i = 0; i < 100000; ++i) header += ".a";
    const auto deep = write_file(dir, "deep.toml", "# deep\n" + header + "]\nx = 1\n");
    CHECK(error_of([&] { load_config({deep}, {}); }) ==
          deep.string() + ":2: TOML nested more than 128 levels deep (tables, dotted keys, arrays and inline tables "
                          "together), sm4's limit for config text");
    const std::string arrays = std::string(200000, '[') + std::string(200000, ']');
    CHECK_THAT(error_of([&] { load_config({}, {"data.tasks=" + arrays}); }),
               Contains("--set: key 'data.tasks':1: TOML nested more than 128 levels deep"));
    std::string inline_tables = "x = ";
    for (int i = 0; i < 1000; ++i) inline_tables += "{ a.b = ";
    inline_tables += "1" + std::string(1000, '}') + "\n";
    CHECK_THAT(error_of([&] { load_config({write_file(dir, "inline.toml", inline_tables)}, {}); }),
               Contains("inline.toml:1: TOML nested more than 128 levels deep"));
    // Dots and brackets inside strings and comments, and numbers with a decimal point, are not nesting.
    std::string harmless = "[data]\nroot = \"" + std::string(300, '.') + std::string(300, '[') + "\" # " +
                           std::string(300, '{') + "\n";
    harmless += "[train]\nlr = 1.0e-3\n[model]\ncapacity_factor = 1.5\n";
    CHECK(load_config({write_file(dir, "harmless.toml", harmless)}, {}).values.train.lr == 1.0e-3);
    // Too much text.
    const auto big = write_file(dir, "big.toml", "# " + std::string(17u << 20, 'x') + "\n");
    CHECK_THAT(error_of([&] { load_config({big}, {}); }), Contains("big.toml: 17825795 bytes of config text, more than sm4's limit of 16 MiB"));
}

TEST_CASE("config: invalid TOML is reported with its line", "[config]") {
    TempDir dir;
    const auto path = write_file(dir, "broken.toml", "[data]\nseed = = 3\n");
    const std::string message = error_of([&] { load_config({path}, {}); });
    CHECK_THAT(message, Contains(path.string() + ":2:"));
    CHECK_THAT(message, Contains("invalid TOML"));
}

TEST_CASE("config: defaults < first file < second file < --set, each with its source", "[config]") {
    TempDir dir;
    const auto first = write_file(dir, "a.toml", "[data]\nseed = 1\nval_fraction = 0.2\n");
    const auto second = write_file(dir, "b.toml", "[data]\nseed = 2\n");
    const ResolvedConfig c = load_config({first, second}, {"data.seed=3", "data.tasks=wine,breast-cancer"});
    CHECK(c.values.data.seed == 3);
    CHECK(c.sources.at("data.seed") == "--set");
    CHECK(c.values.data.val_fraction == 0.2);
    CHECK(c.sources.at("data.val_fraction") == first.string() + ":3");
    CHECK(c.values.data.test_fraction == 0.2);
    CHECK(c.sources.at("data.test_fraction") == "default");
    CHECK(c.values.data.tasks == std::vector<std::string>{"wine", "breast-cancer"});

    const ResolvedConfig without_set = load_config({first, second}, {});
    CHECK(without_set.values.data.seed == 2);
    CHECK(without_set.sources.at("data.seed") == second.string() + ":2");
}

TEST_CASE("config: --dump-config text shows sources and reads back to the same values", "[config]") {
    const ResolvedConfig c = load_config({}, {"data.root=/tmp/x", "preprocess.digits_av.snr_min_db=3", "data.seed=9"});
    const std::string dumped = to_toml(c, true);
    CHECK_THAT(dumped, Contains("root = \"/tmp/x\""));
    CHECK_THAT(dumped, Contains("# --set"));
    CHECK_THAT(dumped, Contains("[preprocess.digits_av]"));
    CHECK_THAT(dumped, Contains("snr_min_db = 3.0"));

    ResolvedConfig reread = default_config();
    apply_toml(reread, to_toml(c, false), "stored config");
    CHECK(to_toml(reread, false) == to_toml(c, false));
    CHECK(reread.sources.at("data.root") == "stored config:2");
}

TEST_CASE("config: every shipped experiment file loads", "[config]") {
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(std::string(SM4_SOURCE_DIR) + "/experiments")) {
        if (entry.path().extension() != ".toml") continue;
        std::ifstream in(entry.path());
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (text.find("\n[sweep]") != std::string::npos) continue;  // a sweep file: the sweep tests expand it
        INFO(entry.path());
        CHECK_NOTHROW(load_config({entry.path()}, {}));
        ++files;
    }
    CHECK(files >= 1);
    const ResolvedConfig minibench = load_config({std::string(SM4_SOURCE_DIR) + "/experiments/minibench.toml"}, {});
    CHECK(minibench.values.data.tasks.size() == 4);
}

TEST_CASE("config: the README documents every key", "[config]") {
    std::ifstream in(std::string(SM4_SOURCE_DIR) + "/README.md");
    std::stringstream text;
    text << in.rdbuf();
    for (const auto& f : config_fields()) {
        INFO(f.key);
        CHECK_THAT(text.str(), Contains("`" + f.key + "`"));
    }
    // The table between the markers is exactly what `sm4 config --keys --markdown` prints
    // (scripts/update-readme.sh writes it).
    const std::string begin = "<!-- config-keys:begin -->\n", end = "<!-- config-keys:end -->\n";
    const auto a = text.str().find(begin), b = text.str().find(end);
    REQUIRE(a != std::string::npos);
    REQUIRE(b != std::string::npos);
    CHECK(text.str().substr(a + begin.size(), b - a - begin.size()) == print_table(config_keys_table(), TableFormat::Markdown));
}

TEST_CASE("config: every key has one row with its default, type and check; choices are enums", "[config]") {
    const ConfigField* backbone = find_config_field("model.backbone");
    REQUIRE(backbone);
    CHECK(backbone->type == ConfigType::Choice);
    CHECK(backbone->choices == std::vector<std::string>{"dense", "smoe", "sm4", "highmmt"});
    CHECK(std::get<std::string>(backbone->default_value) == "sm4");
    CHECK(load_config({}, {"model.backbone=sm4"}).values.model.backbone == Backbone::Sm4);
    // An unknown word is refused where it is read, with the words there are and the closest.
    CHECK_THAT(error_of([&] { load_config({}, {"model.backbone=sm5"}); }),
               Contains("--set: key 'model.backbone' expects one of \"dense\", \"smoe\", \"sm4\", \"highmmt\", found \"sm5\" "
                        "(did you mean 'sm4'?)"));
    TempDir dir;
    const auto path = write_file(dir, "bad.toml", "[train]\nschedule = \"cosin\"\n");
    CHECK_THAT(error_of([&] { load_config({path}, {}); }),
               Contains(path.string() + ":2: key 'train.schedule' expects one of \"cosine\", \"step\", \"constant\", "
                                        "found \"cosin\" (did you mean 'cosine'?)"));
    // The defaults of the rows are the structs' defaults.
    const Config defaults;
    for (const auto& f : config_fields()) {
        INFO(f.key);
        CHECK(f.default_value == f.get(defaults));
        CHECK(!f.description.empty());
    }
}

// The library's layers depend one way: a folder of src/ includes only the folders below it (and
// itself), and the folders below the LibTorch line include no LibTorch header. The rule lives
// here and in src/meson.build's comment; every #include of the source tree is checked against it.
#include <catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

// Each folder and the folders it may include (itself always).
const std::map<std::string, std::set<std::string>> kMayInclude = {
    {"core", {}},
    {"formats", {"core"}},
    {"io", {"core", "formats"}},
    {"platform", {"core"}},
    {"sweep", {"core", "io"}},
    {"report", {"core", "io"}},
    {"data", {"core", "formats", "io", "platform"}},
    {"model", {"core", "platform"}},
    {"train", {"core", "io", "platform", "data", "model"}},
    {"bench", {"core", "io", "platform", "data", "model", "train"}},
    {"app", {"core", "io", "platform", "data", "model", "train", "sweep", "report", "bench"}},
};

// The folders that must build without LibTorch's headers.
const std::set<std::string> kTorchFree = {"core", "formats", "io", "sweep", "report"};

}  // namespace

TEST_CASE("layers: no folder of src/ includes one above it, and the torch-free ones include no LibTorch", "[core]") {
    const std::filesystem::path src = std::filesystem::path(SM4_SOURCE_DIR) / "src";
    const std::regex project_include(R"(^\s*#\s*include\s+"([a-z_]+)/)");
    const std::regex torch_include(R"(^\s*#\s*include\s+<(torch|ATen|c10)/)");
    std::vector<std::string> violations;
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(src)) {
        const auto ext = entry.path().extension();
        if (ext != ".h" && ext != ".cpp") continue;
        const std::string folder = entry.path().lexically_relative(src).begin()->string();
        if (folder == "pch") continue;  // the precompiled header is LibTorch itself
        const auto allowed = kMayInclude.find(folder);
        INFO(entry.path());
        REQUIRE(allowed != kMayInclude.end());  // a new folder needs its place in the rule
        ++files;
        std::ifstream in(entry.path());
        int line_number = 0;
        for (std::string line; std::getline(in, line);) {
            ++line_number;
            std::smatch m;
            const std::string where = entry.path().lexically_relative(src).string() + ":" + std::to_string(line_number);
            if (std::regex_search(line, m, project_include) && m[1] != folder && !allowed->second.count(m[1]))
                violations.push_back(where + " includes " + m[1].str() + "/");
            if (kTorchFree.count(folder) && std::regex_search(line, m, torch_include))
                violations.push_back(where + " includes LibTorch (<" + m[1].str() + "/...>)");
        }
    }
    CHECK(files > 100);
    CHECK(violations == std::vector<std::string>{});
}

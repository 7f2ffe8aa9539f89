// A run folder belongs to exactly one run of one database, even when shards with their own
// databases (each numbering its runs from 1) share output.runs_dir.
#include <catch.hpp>

#include <fstream>
#include <sstream>

#include "core/errors.h"
#include "io/run_folder.h"
#include "../support/temp_dir.h"

using namespace sm4;
using Catch::Matchers::Contains;

namespace {

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("run folders: run 1 of two databases gets two folders, each with its owner", "[io][run_folder]") {
    test::TempDir dir;
    const auto runs = dir / "runs";
    const auto first = claim_run_folder(runs, 1, dir / "shard0.db");
    const auto second = claim_run_folder(runs, 1, dir / "shard1.db");
    const auto third = claim_run_folder(runs, 1, dir / "shard2.db");
    CHECK(first == runs / "1");
    CHECK(second == runs / "1-2");
    CHECK(third == runs / "1-3");
    CHECK(read_text(first / "owner") ==
          "run 1 of " + std::filesystem::weakly_canonical(dir / "shard0.db").string() + "\n");
    CHECK(read_text(second / "owner") ==
          "run 1 of " + std::filesystem::weakly_canonical(dir / "shard1.db").string() + "\n");
    CHECK(claim_run_folder(runs, 2, dir / "shard0.db") == runs / "2");
}

TEST_CASE("run folders: a resume refuses a folder another run or database owns", "[io][run_folder]") {
    test::TempDir dir;
    const auto folder = claim_run_folder(dir / "runs", 1, dir / "shard0.db");
    CHECK_NOTHROW(check_run_folder_owner(folder, 1, dir / "shard0.db"));
    // The same database reached through another spelling of its path is still its owner.
    CHECK_NOTHROW(check_run_folder_owner(folder, 1, dir / "." / "shard0.db"));
    CHECK_THROWS_AS(check_run_folder_owner(folder, 1, dir / "shard1.db"), IoError);
    CHECK_THROWS_WITH(check_run_folder_owner(folder, 2, dir / "shard0.db"),
                      Contains(folder.string() + ": the folder belongs to run 1 of") &&
                          Contains("not to run 2 of " + (dir / "shard0.db").string()));
    // A folder from before ownership records (no "owner" file) is accepted.
    std::filesystem::create_directories(dir / "runs" / "7");
    CHECK_NOTHROW(check_run_folder_owner(dir / "runs" / "7", 7, dir / "shard0.db"));
}

TEST_CASE("run folders: a runs folder that cannot be created is named", "[io][run_folder]") {
    test::TempDir dir;
    std::ofstream(dir / "file") << "not a folder";
    CHECK_THROWS_WITH(claim_run_folder(dir / "file" / "runs", 1, dir / "a.db"),
                      Contains((dir / "file" / "runs").string() + ": cannot create the runs folder"));
}

// merge_results: the runs of several databases land in one, with new ids, and everything that
// belongs to a run follows it.
#include <catch.hpp>

#include <fstream>

#include "core/errors.h"
#include "io/results_db.h"
#include "../support/temp_dir.h"

using namespace sm4;
using sm4::test::TempDir;
using Catch::Matchers::Contains;

namespace {

// A shard database with `count` runs of sweep "s": each with two metrics, a checkpoint and an allocation row.
std::filesystem::path make_shard(const TempDir& dir, const std::string& name, int count, int first_seed) {
    const auto path = dir / name;
    ResultsDb db(path);
    for (int i = 0; i < count; ++i) {
        const std::int64_t seed = first_seed + i;
        NewRun run{"s/base", "sweep.toml", "[train]\nseed = " + std::to_string(seed) + "\n", seed, "rev", "build",
                   "host-" + name, "s", "base", "hash" + std::to_string(seed)};
        const auto id = db.create_run(run);
        db.add_metrics({{id, 10, 1, "val", "wine", "accuracy", 0.5 + seed, "train"},
                        {id, 10, 1, "test", "wine", "accuracy", 0.25 + seed, "train"}});
        db.add_checkpoint({id, 1, 10, name + "/runs/" + std::to_string(id) + "/checkpoint.pt", 0.5 + seed, true, ""});
        db.add_allocations({{id, "wine/table", 4, 0.1, 0.2, 0.1, true, 1.5}});
        db.set_status(id, seed % 2 ? kRunCompleted : kRunInterrupted, seed % 2 ? "" : "stopped");
    }
    return path;
}

}  // namespace

TEST_CASE("runs merge: runs get new ids and their metrics, checkpoints and allocations follow", "[sweep][db]") {
    TempDir dir;
    const auto a = make_shard(dir, "a.db", 2, 0), b = make_shard(dir, "b.db", 3, 10);
    const auto out = dir / "merged" / "all.db";
    const MergeCounts counts = merge_results({a, b}, out);
    CHECK(counts.runs == 5);
    CHECK(counts.metrics == 10);
    CHECK(counts.checkpoints == 5);
    CHECK(counts.allocations == 5);

    ResultsDb merged(out);
    const auto runs = merged.list_runs();  // newest first
    REQUIRE(runs.size() == 5);
    const std::vector<std::int64_t> seeds = {12, 11, 10, 1, 0};  // a's runs, then b's, in id order
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const RunRecord& run = runs[i];
        CHECK(run.id == static_cast<std::int64_t>(5 - i));
        CHECK(run.seed == seeds[i]);
        CHECK(run.config_hash == "hash" + std::to_string(run.seed));
        CHECK(run.sweep == "s");
        CHECK(run.variant == "base");
        CHECK(run.status == (run.seed % 2 ? "completed" : "interrupted"));
        CHECK_FALSE(run.finished_at.empty());
        const auto metrics = merged.metrics(run.id);
        REQUIRE(metrics.size() == 2);
        CHECK(metrics[1].split == "test");
        CHECK(metrics[1].value == 0.25 + run.seed);
        const auto checkpoints = merged.checkpoints(run.id);
        REQUIRE(checkpoints.size() == 1);
        CHECK(checkpoints[0].val_score == 0.5 + run.seed);
        // The path stays the one the shard wrote: run folders keep their place (and old id).
        const std::string shard = run.seed < 10 ? "a.db" : "b.db";
        const std::int64_t old_id = run.seed < 10 ? run.seed + 1 : run.seed - 9;
        CHECK(checkpoints[0].path == shard + "/runs/" + std::to_string(old_id) + "/checkpoint.pt");
        REQUIRE(merged.allocations(run.id).size() == 1);
        CHECK(merged.allocations(run.id)[0].probe_seconds == 1.5);
    }
    CHECK(runs.back().host == "host-a.db");

    // Merging into an existing database appends.
    const MergeCounts again = merge_results({a}, out);
    CHECK(again.runs == 2);
    CHECK(ResultsDb(out).list_runs().size() == 7);
}

TEST_CASE("runs merge: a missing, foreign or identical input is refused before anything is written", "[sweep][db]") {
    TempDir dir;
    const auto a = make_shard(dir, "a.db", 1, 0);
    const auto out = dir / "out.db";
    CHECK_THROWS_WITH(merge_results({a, dir / "missing.db"}, out), Contains("missing.db: no such results database"));
    std::ofstream(dir / "notes.txt") << "not a database at all, just some text that is long enough\n";
    CHECK_THROWS_AS(merge_results({dir / "notes.txt"}, out), IoError);
    CHECK_FALSE(std::filesystem::exists(out));
    CHECK_THROWS_AS(merge_results({a}, a), UsageError);
    CHECK(ResultsDb(a).list_runs().size() == 1);
}

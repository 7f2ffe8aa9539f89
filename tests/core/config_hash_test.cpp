// The config hash identifies a run's config: equal configs hash equal, a change that alters
// results changes it, and where results go does not.
#include <catch.hpp>

#include "core/config_hash.h"

using namespace sm4;

TEST_CASE("sweep: the config hash is stable and ignores only what does not change results", "[sweep]") {
    const auto hash = [](const std::vector<std::string>& overrides) { return config_hash(load_config({}, overrides)); };
    const std::string base = hash({"train.lr=0.001"});
    CHECK(base.size() == 16);
    CHECK(base.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(hash({"train.lr=0.001"}) == base);
    CHECK(hash({"train.lr=1e-3"}) == base);  // the value counts, not how it was written

    CHECK(hash({"train.lr=0.002"}) != base);
    CHECK(hash({"train.lr=0.001", "train.seed=1"}) != base);
    CHECK(hash({"train.lr=0.001", "train.log_every=5"}) != base);  // ALP and the logged metrics depend on it

    CHECK(hash({"train.lr=0.001", "output.database=elsewhere/x.db"}) == base);
    CHECK(hash({"train.lr=0.001", "output.runs_dir=elsewhere", "output.run_name=x"}) == base);
    CHECK(hash({"train.lr=0.001", "train.threads=3"}) == base);
    CHECK(hash({"train.lr=0.001", "eval.split=val"}) == base);
    CHECK(ignored_by_config_hash("output.database"));
    CHECK_FALSE(ignored_by_config_hash("train.lr"));
}

// The read commands as scripts and people use them: `runs list` filters and columns, `runs show`
// and `runs diff`, --json on every read command (parsed by Python's json module), and the
// results database found through --db, --database, $SM4_DB or --config's output.database.
#include <catch.hpp>

#include <cmath>
#include <fstream>

#include "core/config_loader.h"
#include "io/results_db.h"
#include "../support/json_eval.h"
#include "../support/run_command.h"
#include "../support/temp_dir.h"

using sm4::test::json_eval;
using sm4::test::run_command;
using sm4::test::run_sm4;
using sm4::test::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::string config_text(const std::vector<std::string>& overrides) {
    return sm4::to_toml(sm4::load_config({}, overrides), false);
}

// Run 1: sweep minibench, variant sm4, completed, with an AEA allocation, checkpoints, test
// metrics from training and from eval. Run 2: variant dense, failed. Run 3: a plain train run,
// still running.
std::string make_database(const TempDir& dir) {
    const auto path = dir / "results" / "runs.db";
    sm4::ResultsDb db(path);
    sm4::NewRun run;
    run.name = "minibench/sm4";
    run.experiment = "experiments/minibench.toml";
    run.config_toml = config_text({"data.tasks=wine,breast-cancer", "model.backbone=sm4"});
    run.seed = 0;
    run.sweep = "minibench";
    run.variant = "sm4";
    run.config_hash = "00000000000000aa";
    const auto first = db.create_run(run);
    db.add_allocations({{first, "wine/features", 1, 0.5, 0.75, 0.25, true, 1.5},
                        {first, "wine/features", 2, 0.4, 0.8, 0.4, false, 1.5}});
    db.add_metrics({{first, 50, 2, "val", "all", "score", 0.9, "train"},
                    {first, 50, 2, "test", "wine", "accuracy", 0.912345, "train"},
                    {first, 50, 2, "test", "breast-cancer", "accuracy", 0.95, "train"},
                    {first, 50, 2, "test", "wine", "accuracy", 0.5, "eval"}});
    const double nan = std::nan("");
    db.add_modality_epochs({{first, 1, 25, "wine/table", 1, 0.5, 0.4, 0.9, 1.0, false},
                            {first, 1, 25, "digits/audio", 1, nan, nan, nan, 1.0, false},
                            {first, 2, 50, "wine/table", 2, 0.6, 0.3, 0.8, 0.75, true},
                            {first, 2, 50, "digits/audio", 1, 0.7, 0.6, 1.1, 0.25, false}});
    db.add_checkpoint({first, 1, 25, "runs/1/best.pt", 0.8, false, ""});
    db.add_checkpoint({first, 2, 50, "runs/1/best.pt", 0.9125, true, ""});
    db.set_status(first, sm4::kRunCompleted);

    run.name = "minibench/dense";
    run.variant = "dense";
    run.config_toml = config_text({"data.tasks=wine,breast-cancer", "model.backbone=dense"});
    run.config_hash = "00000000000000bb";
    const auto second = db.create_run(run);
    db.add_metrics({{second, 50, 2, "test", "wine", "accuracy", 0.875, "train"}});
    db.set_status(second, sm4::kRunFailed, "diverged");

    run.name = "wine-only";
    run.sweep = run.variant = "";
    run.config_toml = config_text({"data.tasks=wine"});
    db.create_run(run);
    return path.string();
}

}  // namespace

TEST_CASE("cli: runs list shows sweep, variant, tasks, duration and best score; filters pick runs", "[cli][db]") {
    TempDir dir;
    const std::string db = make_database(dir);
    auto r = run_sm4("runs list --db " + db);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, StartsWith("id  name             sweep      variant  tasks               status     created"));
    CHECK_THAT(r.out, Contains("duration") && Contains("best val"));
    CHECK_THAT(r.out, Contains("minibench  sm4      wine,breast-cancer") && Contains("0.9125"));
    CHECK(r.out.find("wine-only") < r.out.find("minibench/dense"));  // newest first

    r = run_sm4("runs list --status completed --db " + db);
    CHECK(r.out.find("minibench/sm4") != std::string::npos);
    CHECK(r.out.find("dense") == std::string::npos);
    CHECK(r.out.find("wine-only") == std::string::npos);
    r = run_sm4("runs list --sweep minibench --db " + db);
    CHECK(r.out.find("wine-only") == std::string::npos);
    CHECK(r.out.find("minibench/dense") != std::string::npos);
    r = run_sm4("runs list --name 'minibench/*' --limit 1 --db " + db);
    CHECK(r.out.find("minibench/dense") != std::string::npos);
    CHECK(r.out.find("minibench/sm4") == std::string::npos);
    r = run_sm4("runs list --status done --db " + db);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("--status: expected one of running, completed, failed, interrupted, found \"done\""));
}

TEST_CASE("cli: runs list --json is one document with the documented fields", "[cli][db][json]") {
    TempDir dir;
    const std::string db = make_database(dir);
    const auto r = run_sm4("runs list --json --db " + db);
    REQUIRE(r.exit_code == 0);
    CHECK(json_eval(r.out, "len(d)") == "3");
    CHECK(json_eval(r.out, "sorted(d[0].keys())") ==
          "['best_val_score', 'config_hash', 'created_at', 'experiment', 'finished_at', 'folder', 'id', 'name', "
          "'seconds', 'seed', 'status', 'sweep', 'tasks', 'variant', 'world_size']");
    CHECK(json_eval(r.out, "d[2]['tasks'], d[2]['best_val_score'], d[2]['variant'], d[2]['status']") ==
          "['wine', 'breast-cancer'] 0.9125 sm4 completed");
    CHECK(json_eval(r.out, "d[0]['finished_at'], d[0]['seconds'], d[0]['best_val_score']") == "None None None");
}

TEST_CASE("cli: the database comes from --db, --database, $SM4_DB or --config's output.database", "[cli][db]") {
    TempDir dir;
    const std::string db = make_database(dir);
    CHECK(run_sm4("runs list --database " + db).exit_code == 0);
    auto r = run_command("cd " + dir.path().string() + " && SM4_DB=" + db + " " + SM4_BINARY + " runs list");
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("minibench/sm4"));
    const auto config = dir / "exp.toml";
    std::ofstream(config) << "[output]\ndatabase = \"" << db << "\"\n";
    r = run_command("cd " + dir.path().string() + " && " + SM4_BINARY + " runs show 2 --config " + config.string());
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("minibench/dense"));
    // flops --run finds its run the same way (the config names only the database): it gets as far
    // as the run's stored data.tasks, whose files this fixture does not have.
    r = run_command("cd " + dir.path().string() + " && " + SM4_BINARY + " flops --run 1 --no-measure --config " +
                    config.string());
    CHECK_THAT(r.err, Contains("dataset of task 'wine' not found"));
    // Without any of them: results/sm4.db, which is not here.
    r = run_command("cd " + dir.path().string() + " && env -u SM4_DB " + SM4_BINARY + " runs list");
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("results/sm4.db: no results database here"));
    // SM4_DB is also where a training run lands: the default of output.database.
    r = run_command("SM4_DB=" + db + " " + SM4_BINARY + " config --json");
    CHECK(json_eval(r.out, "d['values']['output']['database'], d['sources']['output.database']") == db + " env SM4_DB");
}

TEST_CASE("cli: runs show gives sweep, variant, hash, AEA allocation and training's test metrics", "[cli][db]") {
    TempDir dir;
    const std::string db = make_database(dir);
    auto r = run_sm4("runs show 1 --db " + db);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("sweep         minibench") && Contains("variant       sm4"));
    CHECK_THAT(r.out, Contains("config_hash   00000000000000aa"));
    CHECK_THAT(r.out, Contains("AEA allocation (design-1 probe)\ngroup          experts  train loss  val loss\n"));
    // AEA's k path and ALP's weights per slot, in the order the run recorded its slots.
    CHECK_THAT(r.out, Contains("modality slots by epoch (AEA, ALP)\n"));
    CHECK_THAT(r.out, Contains("slot            k (epochs)  frozen  ALP weight first   min  max  last  val loss\n"));
    CHECK_THAT(r.out, Contains("wine/table    1 (1), 2 (2)  yes                    1  0.75    1  0.75       0.6\n"));
    CHECK_THAT(r.out, Contains("digits/audio       1 (1-2)  -                      1  0.25    1  0.25       0.7\n"));
    CHECK_THAT(r.out, Contains("wine/features        1         0.5      0.75"));
    // 4 significant digits, and eval's 0.5 is not a training result.
    CHECK_THAT(r.out, Contains("test metrics (from training)\ntask           metric     value  epoch\n"));
    CHECK_THAT(r.out, Contains("wine           accuracy  0.9123      2\n"));

    r = run_sm4("runs show 1 --json --db " + db);
    REQUIRE(r.exit_code == 0);
    CHECK(json_eval(r.out, "d['modality_epochs']['wine/table'], d['modality_epochs']['digits/audio']['val_loss']") ==
          "{'top_k': [1, 2], 'pace_weight': [1, 0.75], 'val_loss': [0.5, 0.6], 'frozen': True} [None, 0.7]");
    CHECK(json_eval(r.out, "d['run']['variant'], d['run']['config_hash'], d['allocation']") ==
          "sm4 00000000000000aa {'wine/features': 1}");
    CHECK(json_eval(r.out, "d['test']['wine']['accuracy'], d['test']['breast-cancer']['accuracy']") == "0.912345 0.95");
    CHECK(json_eval(r.out, "len(d['checkpoints']), d['checkpoints'][1]['best'], d['config'].startswith('[data]')") ==
          "2 True True");
}

TEST_CASE("cli: runs diff shows the config keys that differ and the final metrics side by side", "[cli][db]") {
    TempDir dir;
    const std::string db = make_database(dir);
    auto r = run_sm4("runs diff 1 2 --db " + db);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("config keys that differ\nkey             run 1  run 2\n"));
    CHECK_THAT(r.out, Contains("model.backbone  sm4    dense\n"));
    CHECK(r.out.find("data.tasks") == std::string::npos);  // the same in both
    CHECK_THAT(r.out, Contains("test   wine           accuracy  0.9123  0.875  -0.03734"));
    CHECK_THAT(r.out, Contains("test   breast-cancer  accuracy    0.95      -"));

    r = run_sm4("runs diff 1 2 --json --db " + db);
    REQUIRE(r.exit_code == 0);
    CHECK(json_eval(r.out, "d['a'], d['b'], d['config']") == "1 2 [{'key': 'model.backbone', 'a': 'sm4', 'b': 'dense'}]");
    CHECK(json_eval(r.out, "[(m['task'], m['a'], m['b']) for m in d['metrics'] if m['split'] == 'test']") ==
          "[('wine', 0.912345, 0.875), ('breast-cancer', 0.95, None)]");
    r = run_sm4("runs diff 1 9 --db " + db);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("run 9 not found in " + db));
}

TEST_CASE("cli: config --json gives every value and where it came from; $SM4_DATA_ROOT sets a default",
          "[cli][json]") {
    TempDir dir;
    auto r = run_sm4("config --json --set train.epochs=3");
    REQUIRE(r.exit_code == 0);
    CHECK(json_eval(r.out, "d['values']['train']['epochs'], d['sources']['train.epochs'], d['values']['model']['backbone']") ==
          "3 --set sm4");
    CHECK(json_eval(r.out, "d['values']['data']['tasks'], d['sources']['data.root']") ==
          "['fashion-mnist', 'digits-av', 'breast-cancer', 'wine'] default");
    r = run_command("SM4_DATA_ROOT=/data/sm4 " + std::string(SM4_BINARY) + " config --json");
    CHECK(json_eval(r.out, "d['values']['data']['root'], d['sources']['data.root']") == "/data/sm4 env SM4_DATA_ROOT");
    // A file still wins over the environment.
    const auto file = dir / "c.toml";
    std::ofstream(file) << "[data]\nroot = \"mine\"\n";
    r = run_command("SM4_DATA_ROOT=/data/sm4 " + std::string(SM4_BINARY) + " config --json -c " + file.string());
    CHECK(json_eval(r.out, "d['values']['data']['root']") == "mine");
    r = run_sm4("config --keys --json");
    CHECK(json_eval(r.out, "[k['key'] for k in d][:2], 'meaning' in d[0]") == "['data.root', 'data.tasks'] True");
}

TEST_CASE("cli: inspect --json describes a dataset file", "[cli][json]") {
    TempDir dir;
    const auto file = dir / "wine.h5";
    REQUIRE(run_sm4("preprocess wine --out " + file.string()).exit_code == 0);
    const auto r = run_sm4("inspect --json " + file.string());
    REQUIRE(r.exit_code == 0);
    CHECK(json_eval(r.out, "d['task'], d['task_type'], d['num_outputs'], sum(d['examples'].values())") ==
          "wine classification 3 178");
    CHECK(json_eval(r.out, "[(m['name'], m['kind'], m['example_shape']) for m in d['modalities']]") ==
          "[('table', 'table', [13])]");
}

TEST_CASE("cli: sweep --variant picks runs; --dry-run --json lists them", "[cli][sweep][json]") {
    TempDir dir;
    const auto file = dir / "two.toml";
    std::ofstream(file) << "[data]\ntasks = [\"wine\"]\n[output]\ndatabase = \"" << (dir / "s.db").string()
                        << "\"\n[sweep]\nname = \"two\"\nseeds = [0, 1]\n"
                           "[[sweep.variant]]\nname = \"smoe\"\n"
                           "[[sweep.variant]]\nname = \"dense\"\nset = { \"model.backbone\" = \"dense\" }\n";
    auto r = run_sm4("sweep " + file.string() + " --variant dense --dry-run --json");
    REQUIRE(r.exit_code == 0);
    CHECK(json_eval(r.out, "d['sweep'], d['runs_in_file'], d['selected']") == "two 4 2");
    CHECK(json_eval(r.out, "[(x['index'], x['variant'], x['seed'], x['state'], x['run_id']) for x in d['runs']]") ==
          "[(2, 'dense', 0, 'new', None), (3, 'dense', 1, 'new', None)]");
    CHECK(json_eval(r.out, "sorted(d['runs'][0].keys())") ==
          "['config_hash', 'database', 'grid', 'index', 'run_id', 'seed', 'state', 'task', 'variant']");
    r = run_sm4("sweep " + file.string() + " --variant dnse --dry-run");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("--variant dnse: " + file.string() + " defines no such variant (did you mean 'dense'?); "
                               "it has smoe, dense"));
    // --db moves every run's database without changing what the runs are.
    const auto other = (dir / "other.db").string();
    const auto hashes = json_eval(run_sm4("sweep " + file.string() + " --dry-run --json").out,
                                  "[x['config_hash'] for x in d['runs']]");
    r = run_sm4("sweep " + file.string() + " --db " + other + " --dry-run --json");
    CHECK(json_eval(r.out, "{x['database'] for x in d['runs']}") == "{'" + other + "'}");
    CHECK(json_eval(r.out, "[x['config_hash'] for x in d['runs']]") == hashes);
}

// The results store: one SQLite database (default results/sm4.db) holding every run, its metrics
// and its checkpoints. WAL mode, a busy timeout and transactions keep it consistent when several
// sm4 processes write at once; a schema_version table drives migrations. The schema is
// documented in the README ("Results database").
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/flops_rows.h"

struct sqlite3;

namespace sm4 {

// Run statuses, as stored in runs.status.
inline constexpr const char* kRunRunning = "running";
inline constexpr const char* kRunCompleted = "completed";
inline constexpr const char* kRunFailed = "failed";
inline constexpr const char* kRunInterrupted = "interrupted";

// The design of sm4's networks this build trains, recorded with every run (runs.design): 2 is
// the paper's network (docs/sm4.md); 1 was sm4's own design before the paper's full text (a
// per-modality expert partition and no unimodal encoder), retired: its runs still report, but
// their checkpoints no longer load.
inline constexpr std::int64_t kModelDesign = 2;

struct NewRun {
    std::string name;          // user-chosen or derived from the experiment file
    std::string experiment;    // config files it came from, e.g. "experiments/minibench.toml"
    std::string config_toml;   // the resolved configuration
    std::int64_t seed = 0;
    std::string git_revision;
    std::string build_info;
    std::string host;
    std::string sweep;         // the sweep that made it ("" for a plain `sm4 train`)
    std::string variant;       // its named variant within the sweep
    std::string config_hash;   // stable hash of the resolved config ("" when not computed)
    std::int64_t world_size = 1;   // data-parallel ranks that trained it
    std::string dist_backend{};    // their c10d backend ("gloo", "nccl"; "" for one process)
};

struct RunRecord {
    std::int64_t id = 0;
    std::string name, experiment, status;
    std::string created_at, finished_at;  // ISO 8601 UTC, finished_at empty while running
    std::string config_toml;
    std::int64_t seed = 0;
    std::string git_revision, build_info, host;
    std::string message;                  // why a run failed or was interrupted
    std::string sweep, variant, config_hash;
    std::int64_t world_size = 1;
    std::string dist_backend;
    std::string folder;  // the run folder it claimed; empty for runs of schema < 5 (run_folder())
    std::int64_t design = kModelDesign;  // the network design that trained it (kModelDesign, or 1)
};

// What runs.design says about a run's network, in words: 2 "the paper's network", 1 "sm4's
// design 1 (retired)".
std::string design_text(std::int64_t design);

struct MetricRecord {
    std::int64_t run_id = 0;
    std::int64_t step = 0;
    std::int64_t epoch = 0;
    std::string split;         // "train", "val" or "test"
    std::string task;          // a task name, or "all" for aggregates such as the weighted score
    std::string name;          // "loss", "accuracy", "macro_f1", "auroc", "mse", "mae", "score", ...
    double value = 0.0;
    std::string source = "train";  // "train" (logged by sm4 train) or "eval" (by sm4 eval)
};

struct CheckpointRecord {
    std::int64_t run_id = 0;
    std::int64_t epoch = 0;
    std::int64_t step = 0;
    std::string path;
    double val_score = 0.0;    // weighted validation score at this checkpoint
    bool is_best = false;
    std::string created_at;    // filled by the database
};

// One probe of SM4's adaptive expert allocation: a modality group trained with `candidate`
// experts for the probe's steps, its losses, and whether the rule chose it.
struct AllocationRecord {
    std::int64_t run_id = 0;
    std::string modality;      // the expert group: a slot "task/modality", or a modality kind
    std::int64_t candidate = 0;
    double train_loss = 0.0;
    double val_loss = 0.0;
    double gap = 0.0;          // val_loss - train_loss
    bool chosen = false;
    double probe_seconds = 0.0;  // wall time of the probe that trained this candidate
};

// A completed run of another sweep that a sweep took as done (the same config hash) and names
// `variant` (table sweep_reuses): `sm4 report --sweep` reports it under that name.
struct SweepReuse {
    std::string sweep, variant;
    std::int64_t run_id = 0;
};

// One epoch of one modality slot under AEA and ALP (table modality_epochs); losses and entropy
// NaN (NULL in the table) where not measured.
struct ModalityEpochRecord {
    std::int64_t run_id = 0;
    std::int64_t epoch = 0;        // 1-based
    std::int64_t step = 0;         // global step at the epoch's end
    std::string slot;              // "task/modality"
    std::int64_t top_k = 1;        // the k_m the epoch trained with
    double val_loss = 0.0;         // what AEA read after the epoch (aea.modality_loss)
    double train_loss = 0.0;       // the same measure on a fixed training subset
    double routing_entropy = 0.0;  // H_m over the epoch (pace.entropy's unit)
    double pace_weight = 1.0;      // the ALP weight the epoch trained with
    bool aea_frozen = false;       // frozen after the epoch's decision
};

struct QueryResult {
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;  // NULL as "NULL"
};

class ResultsDb {
public:
    static constexpr int kSchemaVersion = 8;

    // Opens or creates the database (and its folder), enables WAL, foreign keys and a busy
    // timeout, and migrates an older schema to kSchemaVersion in one transaction. Throws IoError
    // naming the path when it cannot, and when the file's schema is newer than this sm4 knows.
    explicit ResultsDb(const std::filesystem::path& path);
    ~ResultsDb();
    ResultsDb(const ResultsDb&) = delete;
    ResultsDb& operator=(const ResultsDb&) = delete;

    const std::filesystem::path& path() const { return path_; }
    int schema_version() const;

    std::int64_t create_run(const NewRun& run);  // status "running", created_at now
    // Sets the status (and message); completed, failed and interrupted also set finished_at.
    // Resuming sets "running" again and clears finished_at.
    void set_status(std::int64_t run_id, const std::string& status, const std::string& message = "");
    void add_metrics(const std::vector<MetricRecord>& metrics);  // one transaction
    void add_checkpoint(const CheckpointRecord& checkpoint);
    // Records the folder the run claimed (io/run_folder.h).
    void set_folder(std::int64_t run_id, const std::filesystem::path& folder);
    // Resume support: forgets metrics and checkpoints a run logged after `step` (source "train").
    void delete_after_step(std::int64_t run_id, std::int64_t step);

    std::optional<RunRecord> find_run(std::int64_t run_id) const;
    std::vector<RunRecord> list_runs() const;  // newest first
    // Metrics of a run, optionally filtered by split and source (empty: any), in insertion order.
    std::vector<MetricRecord> metrics(std::int64_t run_id, const std::string& split = "",
                                      const std::string& source = "") const;
    std::vector<CheckpointRecord> checkpoints(std::int64_t run_id) const;
    void add_allocations(const std::vector<AllocationRecord>& rows);  // one transaction
    std::vector<AllocationRecord> allocations(std::int64_t run_id) const;
    void add_modality_epochs(const std::vector<ModalityEpochRecord>& rows);  // one transaction
    std::vector<ModalityEpochRecord> modality_epochs(std::int64_t run_id) const;  // by epoch
    // A run a sweep took as done from another sweep (table sweep_reuses; recorded once).
    void add_sweep_reuse(const SweepReuse& reuse);
    std::vector<SweepReuse> sweep_reuses(const std::string& sweep) const;  // by run id
    // FLOP accounting of a run, or (run_id empty) of a config by its hash: replace_flops drops
    // the earlier rows of the same key and writes `rows` in one transaction.
    void replace_flops(std::optional<std::int64_t> run_id, const std::string& config_hash,
                       const std::vector<FlopsRecord>& rows);
    std::vector<FlopsRecord> flops(std::optional<std::int64_t> run_id, const std::string& config_hash = "") const;

    // Runs one read-only SQL statement (through a read-only connection) for `sm4 runs query`.
    // Throws UsageError with SQLite's message for bad SQL or an attempt to write.
    QueryResult query(const std::string& sql) const;

private:
    std::filesystem::path path_;
    sqlite3* db_ = nullptr;
};

// What merge_results copied.
struct MergeCounts {
    std::int64_t runs = 0, metrics = 0, checkpoints = 0, allocations = 0, flops = 0, modality_epochs = 0;
};

// `sm4 runs merge`: copies every run of each input database, input by input and in id order,
// into `output` (created when missing, else appended to), one transaction per input. Runs get
// new ids there and their metrics, checkpoints and allocations follow them; paths
// (checkpoints.path) are kept as they are, so run folders stay where they were. Inputs are only
// read. IoError naming the file when an input is missing, is not a results database or is newer
// than this sm4; UsageError when an input is the output.
MergeCounts merge_results(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& output);

}  // namespace sm4

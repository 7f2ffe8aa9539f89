// A small, fast experiment for training tests: wine and breast-cancer (tables), a narrow model,
// short epochs, everything under a temporary folder.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/config_loader.h"
#include "data/preprocess.h"
#include "io/task_dataset.h"
#include "train/trainer.h"
#include "../support/temp_dir.h"

namespace sm4::test {

class SmallExperiment {
public:
    SmallExperiment() {
        const Config defaults = load_config({}, {}).values;
        for (const char* task : {"wine", "breast-cancer"})
            preprocess_dataset(task, "", dir_ / "data" / (std::string(task) + ".h5"), defaults);
    }

    std::vector<std::string> overrides(const std::vector<std::string>& extra = {}) const {
        std::vector<std::string> o = {
            "data.root=" + (dir_ / "data").string(),
            "data.tasks=wine,breast-cancer",
            "output.database=" + database(),
            "output.runs_dir=" + (dir_ / "runs").string(),
            "model.d_model=32",       // the paper's network, narrow: 8 latents of 32, 4 heads of 8
            "model.latent_dim=32",
            "model.latents=8",
            "model.cross_head_dim=32",
            "model.latent_heads=4",
            "model.latent_head_dim=8",
            "model.ff_mult=2",
            "model.heads=4",
            "model.ffn_hidden=64",
            "model.num_experts=4",
            "train.epochs=3",
            "train.steps_per_epoch=25",
            "train.batch_size=32",
            "train.log_every=5",
            "train.threads=1",
        };
        o.insert(o.end(), extra.begin(), extra.end());
        return o;
    }

    ResolvedConfig config(const std::vector<std::string>& extra = {}) const { return load_config({}, overrides(extra)); }

    TrainRequest request(const std::vector<std::string>& extra = {}) const {
        TrainRequest r;
        r.config = config(extra);
        return r;
    }

    // The same overrides as --set arguments for the sm4 binary.
    std::string set_arguments(const std::vector<std::string>& extra = {}) const {
        std::string args;
        for (const auto& o : overrides(extra)) args += " --set '" + o + "'";
        return args;
    }

    std::string database() const { return (dir_ / "sm4.db").string(); }
    const TempDir& dir() const { return dir_; }

private:
    TempDir dir_;
};

// Rewrites a classification dataset as a regression of one output whose targets are
// target(split, class label): a way to make a task's loss overflow where a test wants it to.
inline void rewrite_as_regression(const std::filesystem::path& file, const std::function<float(Split, std::int64_t)>& target) {
    TaskDataset d = read_task_dataset(file);
    d.task_type = TaskType::Regression;
    d.num_outputs = 1;
    d.class_names.clear();
    for (const auto& [split, arrays] : {std::pair{Split::Train, &d.train}, {Split::Val, &d.val}, {Split::Test, &d.test}}) {
        arrays->targets.shape = {static_cast<std::int64_t>(arrays->class_labels.size()), 1};
        arrays->targets.values.clear();
        for (auto label : arrays->class_labels) arrays->targets.values.push_back(target(split, label));
        arrays->class_labels.clear();
    }
    write_task_dataset(d, file);
}

}  // namespace sm4::test

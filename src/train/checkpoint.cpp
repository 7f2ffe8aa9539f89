#include "train/checkpoint.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cstring>
#include <mutex>

#include "core/atomic_file.h"
#include "core/errors.h"

namespace sm4 {
namespace {

at::Tensor bytes_tensor(const std::string& text) {
    at::Tensor t = at::empty({static_cast<std::int64_t>(text.size())}, at::kByte);
    if (!text.empty()) std::memcpy(t.data_ptr<std::uint8_t>(), text.data(), text.size());
    return t;
}

std::string tensor_text(const at::Tensor& t) {
    const at::Tensor c = t.contiguous();
    return std::string(reinterpret_cast<const char*>(c.data_ptr<std::uint8_t>()), static_cast<std::size_t>(c.numel()));
}

at::Tensor int_tensor(const std::vector<std::int64_t>& values) { return at::tensor(values, at::kLong); }


}  // namespace

void save_checkpoint(const std::filesystem::path& path, MultitaskModel& model, torch::optim::Optimizer* optimizer,
                     torch::nn::Module* extra, const TrainingState& state, const std::string& config_toml) {
    AtomicFile output(path);
    try {
        torch::serialize::OutputArchive archive;
        torch::serialize::OutputArchive model_archive;
        model->save(model_archive);
        archive.write("model", model_archive);
        if (extra) {
            torch::serialize::OutputArchive extra_archive;
            extra->save(extra_archive);
            archive.write("extra", extra_archive);
        }
        if (optimizer) {
            torch::serialize::OutputArchive optimizer_archive;
            optimizer->save(optimizer_archive);
            archive.write("optimizer", optimizer_archive);
        }
        archive.write("config", bytes_tensor(config_toml));
        archive.write("position", int_tensor({state.epoch, state.step_in_epoch, state.global_step, state.best_epoch}));
        archive.write("batch_counters", int_tensor(state.batch_counters));
        archive.write("best_score", at::tensor(std::vector<double>{state.best_score}, at::kDouble));
        archive.write("window_size", int_tensor({static_cast<std::int64_t>(state.window.size())}));
        for (std::size_t i = 0; i < state.window.size(); ++i) archive.write(fmt::format("window_{}", i), state.window[i]);
        {
            at::Generator generator = at::detail::getDefaultCPUGenerator();
            std::lock_guard<std::mutex> lock(generator.mutex());
            archive.write("cpu_rng", generator.get_state());
        }
        archive.save_to(output.temp_path().string());
    } catch (const c10::Error& e) {
        throw IoError(fmt::format("{}: cannot write the checkpoint: {}", path.string(), e.what_without_backtrace()));
    }
    output.commit();
}

std::string read_checkpoint_config(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path)) throw IoError(fmt::format("{}: no such checkpoint", path.string()));
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(path.string());
        at::Tensor config;
        archive.read("config", config);
        return tensor_text(config);
    } catch (const c10::Error& e) {
        throw IoError(fmt::format("{}: not a readable sm4 checkpoint: {}", path.string(), e.what_without_backtrace()));
    }
}

void load_checkpoint(const std::filesystem::path& path, MultitaskModel& model, torch::optim::Optimizer* optimizer,
                     torch::nn::Module* extra, TrainingState* state, const at::Device& device) {
    if (!std::filesystem::exists(path)) throw IoError(fmt::format("{}: no such checkpoint", path.string()));
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(path.string(), device);
        torch::serialize::InputArchive model_archive;
        archive.read("model", model_archive);
        model->load(model_archive);
        if (extra) {
            torch::serialize::InputArchive extra_archive;
            archive.read("extra", extra_archive);
            extra->load(extra_archive);
        }
        if (optimizer) {
            torch::serialize::InputArchive optimizer_archive;
            archive.read("optimizer", optimizer_archive);
            optimizer->load(optimizer_archive);
        }
        if (state) {
            at::Tensor position, counters, best, rng;
            archive.read("position", position);
            archive.read("batch_counters", counters);
            archive.read("best_score", best);
            archive.read("cpu_rng", rng);
            const auto p = position.contiguous();
            state->epoch = p[0].item<std::int64_t>();
            state->step_in_epoch = p[1].item<std::int64_t>();
            state->global_step = p[2].item<std::int64_t>();
            state->best_epoch = p[3].item<std::int64_t>();
            const auto c = counters.contiguous();
            state->batch_counters.assign(c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel());
            state->best_score = best.item<double>();
            state->window.clear();
            at::Tensor window_size;
            if (archive.try_read("window_size", window_size)) {  // absent in checkpoints of older sm4
                const std::int64_t n = window_size.item<std::int64_t>();
                if (n < 0 || n > 4096)
                    throw IoError(fmt::format("{}: the checkpoint claims {} logging-window tensors", path.string(), n));
                for (std::int64_t i = 0; i < n; ++i) {
                    at::Tensor t;
                    archive.read(fmt::format("window_{}", i), t);
                    state->window.push_back(t.to(at::kCPU));
                }
            }
            at::Generator generator = at::detail::getDefaultCPUGenerator();
            std::lock_guard<std::mutex> lock(generator.mutex());
            generator.set_state(rng.to(at::kCPU));
        }
    } catch (const c10::Error& e) {
        throw IoError(fmt::format("{}: cannot restore the checkpoint: {}", path.string(), e.what_without_backtrace()));
    }
}

}  // namespace sm4

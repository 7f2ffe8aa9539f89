#include "train/schedule.h"

#include <cmath>

namespace sm4 {

double learning_rate(const TrainConfig& t, std::int64_t step, std::int64_t total_steps, std::int64_t epoch) {
    const auto warmup = static_cast<std::int64_t>(std::llround(t.warmup_fraction * static_cast<double>(total_steps)));
    if (step < warmup) return t.lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
    if (t.schedule == Schedule::Cosine) {
        const double progress = static_cast<double>(step - warmup) / static_cast<double>(std::max<std::int64_t>(total_steps - warmup, 1));
        return t.lr * 0.5 * (1.0 + std::cos(M_PI * std::min(progress, 1.0)));
    }
    if (t.schedule == Schedule::Step) return t.lr * std::pow(t.step_gamma, static_cast<double>(epoch / t.step_every_epochs));
    return t.lr;
}

}  // namespace sm4

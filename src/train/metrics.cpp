#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace sm4 {

double accuracy(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth) {
    if (truth.empty()) return 0.0;
    std::size_t correct = 0;
    for (std::size_t i = 0; i < truth.size(); ++i) correct += predicted[i] == truth[i];
    return static_cast<double>(correct) / static_cast<double>(truth.size());
}

double macro_f1(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth, std::int64_t classes) {
    std::vector<double> tp(static_cast<std::size_t>(classes)), fp(tp.size()), fn(tp.size());
    for (std::size_t i = 0; i < truth.size(); ++i) {
        if (predicted[i] == truth[i]) {
            ++tp[static_cast<std::size_t>(truth[i])];
        } else {
            ++fp[static_cast<std::size_t>(predicted[i])];
            ++fn[static_cast<std::size_t>(truth[i])];
        }
    }
    // Classes absent from both predictions and truth are left out rather than scored 0.
    double sum = 0.0;
    int counted = 0;
    for (std::size_t c = 0; c < tp.size(); ++c) {
        if (tp[c] + fp[c] + fn[c] == 0) continue;
        sum += 2 * tp[c] / (2 * tp[c] + fp[c] + fn[c]);
        ++counted;
    }
    return counted ? sum / counted : 0.0;
}

double auroc(const std::vector<float>& scores, const std::vector<std::int64_t>& truth) {
    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return scores[a] < scores[b]; });
    // Mann-Whitney U from average ranks.
    double positive_rank_sum = 0.0;
    std::size_t positives = 0;
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
        const double rank = (static_cast<double>(i) + static_cast<double>(j) + 1.0) / 2.0;  // 1-based average
        for (std::size_t k = i; k < j; ++k)
            if (truth[order[k]] == 1) positive_rank_sum += rank, ++positives;
        i = j;
    }
    const std::size_t negatives = truth.size() - positives;
    if (positives == 0 || negatives == 0) return 0.5;
    const double u = positive_rank_sum - static_cast<double>(positives) * (positives + 1) / 2.0;
    return u / (static_cast<double>(positives) * static_cast<double>(negatives));
}

std::vector<Metric> task_metrics(TaskType type, const std::vector<float>& outputs, std::int64_t width,
                                 const std::vector<std::int64_t>& class_labels, const std::vector<float>& targets) {
    const std::size_t n = width > 0 ? outputs.size() / static_cast<std::size_t>(width) : 0;
    const auto w = static_cast<std::size_t>(width);
    switch (type) {
        case TaskType::Classification: {
            std::vector<std::int64_t> predicted(n);
            for (std::size_t i = 0; i < n; ++i) {
                const float* row = outputs.data() + i * w;
                predicted[i] = std::max_element(row, row + w) - row;
            }
            return {{"accuracy", accuracy(predicted, class_labels)}, {"macro_f1", macro_f1(predicted, class_labels, width)}};
        }
        case TaskType::Binary: {
            std::vector<std::int64_t> predicted(n);
            for (std::size_t i = 0; i < n; ++i) predicted[i] = outputs[i] > 0.0f;
            return {{"accuracy", accuracy(predicted, class_labels)},
                    {"auroc", auroc(outputs, class_labels)},
                    {"macro_f1", macro_f1(predicted, class_labels, 2)}};
        }
        case TaskType::Regression: {
            double squared = 0.0, absolute = 0.0;
            for (std::size_t i = 0; i < outputs.size(); ++i) {
                const double e = static_cast<double>(outputs[i]) - targets[i];
                squared += e * e;
                absolute += std::abs(e);
            }
            const double count = std::max<double>(static_cast<double>(outputs.size()), 1.0);
            return {{"mse", squared / count}, {"mae", absolute / count}};
        }
        case TaskType::Multilabel: {
            double correct = 0, tp = 0, fp = 0, fn = 0;
            for (std::size_t i = 0; i < outputs.size(); ++i) {
                const bool predicted = outputs[i] > 0.0f, truth = targets[i] > 0.5f;
                correct += predicted == truth;
                tp += predicted && truth;
                fp += predicted && !truth;
                fn += !predicted && truth;
            }
            const double count = std::max<double>(static_cast<double>(outputs.size()), 1.0);
            return {{"accuracy", correct / count}, {"micro_f1", tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0.0}};
        }
    }
    return {};
}

std::string selection_metric_name(TaskType type) { return type == TaskType::Regression ? "mse" : "accuracy"; }

double selection_metric(TaskType type, const std::vector<Metric>& metrics) {
    const std::string name = selection_metric_name(type);
    for (const auto& m : metrics)
        if (m.name == name) return type == TaskType::Regression ? -m.value : m.value;
    return 0.0;
}

}  // namespace sm4

#include "core/flops_rows.h"

namespace sm4 {

FlopsTotals flops_totals(const std::vector<FlopsRecord>& rows, const std::string& model, const std::string& task) {
    FlopsTotals sum, total;
    for (const auto& r : rows) {
        if (r.model != model || r.task != task) continue;
        FlopsTotals& into = r.component == kTotal ? total : sum;
        into.found = true;
        into.active_params += r.active_params;
        into.flops += r.flops;
        if (r.measured_flops) {
            into.measured += *r.measured_flops;
            into.has_measured = true;
        }
    }
    return total.found ? total : sum;
}

std::optional<std::int64_t> model_params(const std::vector<FlopsRecord>& rows, const std::string& model) {
    for (const auto& r : rows)
        if (r.model == model && r.task.empty() && r.component == kTotal) return r.params;
    return std::nullopt;
}

std::optional<double> reduction_percent(double flops, double reference) {
    if (!(reference > 0)) return std::nullopt;
    return 100.0 * (1.0 - flops / reference);
}

}  // namespace sm4

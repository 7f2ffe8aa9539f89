// The plots of AEA and ALP from a run's modality_epochs rows, one line per modality slot over the
// epochs: the k each epoch trained with, the ALP weight it trained with, and the generalisation
// gap (validation loss minus the loss on the fixed training subset, Figure 2c). Each is left out
// (std::nullopt) when it would show nothing: k never moved, every weight stayed 1, no losses.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "io/results_db.h"
#include "report/plot_charts.h"

namespace sm4 {

std::optional<LineChart> top_k_chart(const std::vector<ModalityEpochRecord>& rows, const std::string& subject);
std::optional<LineChart> pace_weight_chart(const std::vector<ModalityEpochRecord>& rows, const std::string& subject);
std::optional<LineChart> generalisation_gap_chart(const std::vector<ModalityEpochRecord>& rows, const std::string& subject);

}  // namespace sm4

// MIMIC-III as MultiBench distributes it (im.pk, on request to PhysioNet-credentialed users):
// static admission features and 24 hourly time steps, with the split of MultiBench's
// datasets/mimic/get_data.py: random.seed(10), random.shuffle, then 10% validation, 10% test.
#include <fmt/format.h>

#include "core/errors.h"
#include "data/converters.h"
#include "data/dataset_builder.h"
#include "data/multibench_arrays.h"
#include "data/python_random.h"
#include "formats/pickle_reader.h"

namespace sm4 {
namespace {

constexpr std::uint64_t kMultiBenchSeed = 10;
// The paper's MIMIC task (HighMMT's large group): ICD-9 group 7 of y_icd9's 20 groups.
constexpr std::int64_t kIcd9Group = 7;

FloatArray finite_copy(const NumpyArray& raw, std::int64_t& replaced) {
    FloatArray out;
    out.shape = raw.shape;
    out.values = finite_float32(raw, replaced);
    return out;
}

}  // namespace

TaskDataset convert_mimic(const std::filesystem::path& source, const Config&) {
    std::error_code ec;
    const auto path = std::filesystem::is_directory(source, ec) ? source / "im.pk" : source;
    if (!std::filesystem::is_regular_file(path, ec))
        throw DataError(fmt::format("{}: no im.pk (MultiBench's MIMIC pickle)", source.string()));
    const PickleValue root = read_pickle_file(path);
    const NumpyArray& series = root.at("ep_tdata").as_array();
    const NumpyArray& statics = root.at("adm_features_all").as_array();
    const NumpyArray& icd9 = root.at("y_icd9").as_array();
    require_rank(series, 3, "[N, T, D]: patients, hours, measurements");
    require_rank(statics, 2, "[N, D]: patients, static features");
    require_rank(icd9, 2, "[N, 20]: patients, ICD-9 groups");
    const std::int64_t n = series.shape[0];
    require_rows(statics, n, series.source);
    require_rows(icd9, n, series.source);
    if (icd9.shape[1] <= kIcd9Group)
        throw DataError(fmt::format("{}: shape {} has no ICD-9 group {}", icd9.source, shape_text(icd9.shape),
                                    kIcd9Group));
    if (n < 10)
        throw DataError(fmt::format("{}: {} patients, too few for 10% validation and test splits", series.source, n));

    const std::vector<double> groups = icd9.to_float64();
    std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < labels.size(); ++i)
        labels[i] = class_index(groups[i * static_cast<std::size_t>(icd9.shape[1]) + kIcd9Group], 2, icd9.source, i);

    std::int64_t replaced_static = 0, replaced_series = 0;
    const FloatArray static_values = finite_copy(statics, replaced_static);
    const FloatArray series_values = finite_copy(series, replaced_series);

    // datasets[0:le//10] validates, datasets[le//10:le//5] tests, datasets[le//5:] trains, in
    // the shuffled order.
    const std::vector<std::int64_t> order = python_shuffled_range(n, kMultiBenchSeed);
    const auto tenth = static_cast<std::ptrdiff_t>(n / 10), fifth = static_cast<std::ptrdiff_t>(n / 5);
    SplitIndices split;
    split.val.assign(order.begin(), order.begin() + tenth);
    split.test.assign(order.begin() + tenth, order.begin() + fifth);
    split.train.assign(order.begin() + fifth, order.end());

    TaskDataset d;
    d.task = "mimic";
    d.task_type = TaskType::Binary;
    d.num_outputs = 2;
    d.source = fmt::format(
        "MIMIC-III (MultiBench's im.pk), {}; label y_icd9[:, {}]; split as MultiBench (Python random.seed({}), "
        "shuffle, 10% validation, 10% test); non-finite values set to 0: {} (static {}, timeseries {})",
        path.string(), kIcd9Group, kMultiBenchSeed, replaced_static + replaced_series, replaced_static,
        replaced_series);
    d.modalities = {{"static", "table", false, {}, {}}, {"timeseries", "timeseries", false, {}, {}}};
    assign_splits(d, {static_values, series_values}, labels, split);
    compute_statistics(d, 0, /*apply=*/true);
    compute_statistics(d, 1, /*apply=*/true);
    return d;
}

}  // namespace sm4

#include "data/preprocess.h"

#include <fmt/format.h>

#include <chrono>

#include "core/errors.h"
#include "core/text.h"
#include "data/converters.h"
#include "platform/build_info.h"

namespace sm4 {

const std::vector<DatasetConverter>& dataset_converters() {
    static const std::filesystem::path sklearn_data = "/usr/lib/python3/dist-packages/sklearn/datasets/data";
    static const std::vector<DatasetConverter> converters = {
        {"fashion-mnist", "Fashion-MNIST images, 10 classes (Debian dataset-fashion-mnist)",
         "/usr/share/datasets/fashion-mnist", convert_fashion_mnist},
        {"digits-av", "8x8 digits paired with spoken digits from espeak-ng, 10 classes (AV-MNIST analogue)",
         sklearn_data, convert_digits_av},
        {"breast-cancer", "Breast Cancer Wisconsin table, 30 features, binary (python3-sklearn)", sklearn_data,
         convert_breast_cancer},
        {"wine", "Wine recognition table, 13 features, 3 classes (python3-sklearn)", sklearn_data, convert_wine},
        // MultiBench's raw files have no default source: users download them (datasets/MULTIBENCH.md).
        {"avmnist", "AV-MNIST image + audio spectrogram, 10 classes; --src: the avmnist folder of MultiBench's "
         "avmnist.tar.gz", "", convert_avmnist},
        {"mosei", "CMU-MOSEI video, audio, text, binary sentiment; --src: MultiBench's mosei_senti_data.pkl", "",
         convert_mosei},
        {"mosi", "CMU-MOSI video, audio, text, binary sentiment; --src: MultiBench's mosi_raw.pkl", "", convert_mosi},
        {"urfunny", "UR-FUNNY video, audio, text, binary humour; --src: MultiBench's humor.pkl", "", convert_urfunny},
        {"mustard", "MUStARD video, audio, text, binary sarcasm; --src: MultiBench's sarcasm.pkl", "",
         convert_mustard},
        {"mimic", "MIMIC-III static + 24-hour series, ICD-9 group 7 (binary); --src: MultiBench's im.pk "
         "(PhysioNet-credentialed users ask MultiBench's authors)", "", convert_mimic},
        {"enrico", "ENRICO UI screenshot + wireframe, 20 design topics; --src: MultiBench's ENRICO folder "
         "(design_topics.csv, screenshots/, wireframes/)", "", convert_enrico},
        {"push", "MuJoCo Push gripper, sensors, camera, controls; object trajectory regression; --src: the folder of "
         "MultiBench's gentle_push_{1000,10,300}.hdf5", "", convert_push},
        {"vt", "Vision & Touch image, force, proprioception, depth, action; contact next step (binary); --src: "
         "MultiBench's triangle_real_data folder of episode .h5 files", "", convert_vt},
    };
    return converters;
}

const DatasetConverter& find_converter(const std::string& name) {
    std::vector<std::string> names, extending;
    for (const auto& c : dataset_converters()) {
        if (c.name == name) return c;
        names.push_back(c.name);
        if (!name.empty() && c.name.rfind(name, 0) == 0) extending.push_back(c.name);
    }
    // A name the user typed the start of ("fashion") beats one a few edits away ("mosi").
    throw UsageError(fmt::format("unknown dataset '{}'{}; known datasets: {}", name,
                                 did_you_mean(name, extending.empty() ? names : extending), join(names, ", ")));
}

PreprocessResult preprocess_dataset(const std::string& name, const std::filesystem::path& source,
                                    const std::filesystem::path& output, const Config& config) {
    const DatasetConverter& converter = find_converter(name);
    const auto start = std::chrono::steady_clock::now();
    PreprocessResult result;
    result.output = output.empty() ? std::filesystem::path(config.data.root) / (name + ".h5") : output;
    const auto from = source.empty() ? converter.default_source : source;
    if (from.empty())
        throw UsageError(fmt::format("dataset '{}' has no default source: name its raw files (`sm4 preprocess {} "
                                     "--src PATH`). {}. See datasets/MULTIBENCH.md",
                                     name, name, converter.description));
    std::error_code ec;
    if (!std::filesystem::exists(from, ec))
        throw IoError(fmt::format("{}: source of dataset '{}' does not exist", from.string(), name));
    result.dataset = converter.convert(from, config);
    result.dataset.seed = config.data.seed;
    result.dataset.created_by = sm4_version_string();
    write_task_dataset(result.dataset, result.output);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

Table modality_table(const TaskDataset& d) {
    Table table;
    table.columns = {{"modality"}, {"kind"}, {"shape"}, {"values"}};
    for (std::size_t j = 0; j < d.modalities.size(); ++j) {
        const auto& m = d.modalities[j];
        const auto& shape = d.train.modalities[j].shape;
        const std::vector<std::int64_t> example(shape.begin() + 1, shape.end());
        table.add_row({text_cell(m.name), text_cell(m.kind), text_cell(fmt::format("[N, {}]", fmt::join(example, ", "))),
                       text_cell(m.standardized ? "standardised with train statistics" : "raw values")});
    }
    return table;
}

std::string describe_dataset(const TaskDataset& d) {
    std::string out = fmt::format("task {} ({}, {} outputs)\nsource: {}\n", d.task, to_string(d.task_type),
                                  d.num_outputs, d.source);
    out += fmt::format("examples: train {}, val {}, test {}\n", d.train.size(), d.val.size(), d.test.size());
    return out + print_table(modality_table(d), TableFormat::Text);
}

Json dataset_json(const TaskDataset& d) {
    Json classes = Json::array();
    for (const auto& name : d.class_names) classes.push(name);
    Json modalities = Json::array();
    for (std::size_t j = 0; j < d.modalities.size(); ++j) {
        const auto& m = d.modalities[j];
        const auto& shape = d.train.modalities[j].shape;
        Json example = Json::array();
        for (std::size_t k = 1; k < shape.size(); ++k) example.push(shape[k]);
        modalities.push(Json::object()
                            .set("name", m.name)
                            .set("kind", m.kind)
                            .set("example_shape", example)
                            .set("standardized", m.standardized));
    }
    return Json::object()
        .set("task", d.task)
        .set("task_type", to_string(d.task_type))
        .set("num_outputs", d.num_outputs)
        .set("class_names", classes)
        .set("source", d.source)
        .set("seed", d.seed)
        .set("created_by", d.created_by)
        .set("examples", Json::object().set("train", d.train.size()).set("val", d.val.size()).set("test", d.test.size()))
        .set("modalities", modalities);
}

}  // namespace sm4

// ENRICO (Android UI screens, 20 design topics) as MultiBench's datasets/enrico/get_data.py reads
// it: design_topics.csv, screenshots/<id>.jpg and wireframes/<id>.png, both served as RGB
// resized to 256 x 128 with Pillow's bilinear filter and scaled to [0, 1] (ToTensor), the
// example list shuffled by random.Random(42) and cut 65% / 15% / 20%.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/errors.h"
#include "core/progress.h"
#include "data/converters.h"
#include "data/dataset_builder.h"
#include "data/python_random.h"
#include "formats/image_file.h"

namespace sm4 {
namespace {

constexpr std::int64_t kHeight = 256, kWidth = 128;  // EnricoDataset(img_dim_y=256, img_dim_x=128)
constexpr std::uint64_t kSeed = 42;
constexpr double kTrainShare = 0.65, kValShare = 0.15;
// MultiBench skips these two: "the wireframe files are corrupted".
const std::set<std::string> kIgnored = {"50105", "50109"};

// Python's csv.DictReader over a comma-separated file: quoted fields ("" inside quotes is a
// quote), \n or \r\n line ends, the first row the header. Rows are maps column -> text.
std::vector<std::map<std::string, std::string>> read_csv_records(const std::filesystem::path& path,
                                                                 std::vector<std::string>& header) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(fmt::format("{}: cannot open (ENRICO's design_topics.csv)", path.string()));
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false, row_has_data = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += text[++i];
            else if (c == '"') quoted = false;
            else field += c;
        } else if (c == '"') {
            quoted = row_has_data = true;
        } else if (c == ',') {
            rows.back().push_back(field);
            field.clear();
            row_has_data = true;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            if (row_has_data || !field.empty()) rows.back().push_back(field);
            if (!rows.back().empty()) rows.emplace_back();
            field.clear();
            row_has_data = false;
        } else {
            field += c;
            row_has_data = true;
        }
    }
    if (quoted) throw DataError(fmt::format("{}: a quoted field is not closed", path.string()));
    if (row_has_data || !field.empty()) rows.back().push_back(field);
    if (rows.back().empty()) rows.pop_back();
    if (rows.empty()) throw DataError(fmt::format("{}: empty, expected a header line", path.string()));
    header = rows.front();
    std::vector<std::map<std::string, std::string>> records;
    for (std::size_t r = 1; r < rows.size(); ++r) {
        std::map<std::string, std::string> record;
        for (std::size_t j = 0; j < header.size(); ++j) record[header[j]] = j < rows[r].size() ? rows[r][j] : "";
        records.push_back(std::move(record));
    }
    return records;
}

// One screen's picture as ToTensor leaves it: [3, 256, 128], value / 255.
void append_picture(const std::filesystem::path& path, std::vector<float>& out) {
    const RgbImage image = resize_bilinear(read_rgb_image(path), kWidth, kHeight);
    for (int c = 0; c < 3; ++c)
        for (std::int64_t p = 0; p < kWidth * kHeight; ++p)
            out.push_back(static_cast<float>(image.pixels[static_cast<std::size_t>(p * 3 + c)]) / 255.0f);
}

}  // namespace

TaskDataset convert_enrico(const std::filesystem::path& source, const Config&) {
    const auto csv = source / "design_topics.csv";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(csv, ec))
        throw DataError(fmt::format("{}: no design_topics.csv (give the folder of MultiBench's ENRICO download, "
                                    "holding design_topics.csv, screenshots/ and wireframes/)", source.string()));
    std::vector<std::string> header;
    auto records = read_csv_records(csv, header);
    for (const char* column : {"screen_id", "topic"})
        if (std::find(header.begin(), header.end(), column) == header.end())
            throw DataError(fmt::format("{}: no column '{}' (columns: {})", csv.string(), column, fmt::join(header, ", ")));
    const std::size_t listed = records.size();
    records.erase(std::remove_if(records.begin(), records.end(),
                                 [](const auto& r) { return kIgnored.count(r.at("screen_id")) > 0; }),
                  records.end());
    const auto n = static_cast<std::int64_t>(records.size());
    if (n < 3) throw DataError(fmt::format("{}: {} screens, too few for three splits", csv.string(), n));

    // topic2Idx: the sorted distinct topics of all screens.
    std::set<std::string> topic_set;
    for (const auto& r : records) topic_set.insert(r.at("topic"));
    const std::vector<std::string> topics(topic_set.begin(), topic_set.end());

    std::vector<float> screenshots, wireframes;
    std::vector<std::int64_t> labels;
    Progress progress("enrico: decoding screens", n, "screens");
    for (const auto& r : records) {
        const std::string& id = r.at("screen_id");
        append_picture(source / "screenshots" / (id + ".jpg"), screenshots);
        append_picture(source / "wireframes" / (id + ".png"), wireframes);
        labels.push_back(std::lower_bound(topics.begin(), topics.end(), r.at("topic")) - topics.begin());
        progress.advance();
    }
    progress.finish();

    // keys = list(range(n)); random.Random(42).shuffle(keys); then int(n * 0.65) and
    // int(n * (0.65 + 0.15)) cut it into train, val and test.
    const std::vector<std::int64_t> keys = python_shuffled_range(n, kSeed);
    const auto train_end = static_cast<std::ptrdiff_t>(static_cast<double>(n) * kTrainShare);
    const auto val_end = static_cast<std::ptrdiff_t>(static_cast<double>(n) * (kTrainShare + kValShare));
    SplitIndices split;
    split.train.assign(keys.begin(), keys.begin() + train_end);
    split.val.assign(keys.begin() + train_end, keys.begin() + val_end);
    split.test.assign(keys.begin() + val_end, keys.end());

    TaskDataset d;
    d.task = "enrico";
    d.task_type = TaskType::Classification;
    d.num_outputs = static_cast<std::int64_t>(topics.size());
    d.class_names = topics;
    d.source = fmt::format(
        "ENRICO (MultiBench's download), {}; {} screens listed, {} skipped as MultiBench skips them (50105, 50109); "
        "screenshots and wireframes as RGB resized to {} x {} (Pillow bilinear) in [0, 1]; split as MultiBench "
        "(random.Random({}).shuffle, 65% / 15% / 20%)",
        source.string(), listed, static_cast<std::int64_t>(listed) - n, kHeight, kWidth, kSeed);
    d.modalities = {{"screenshot", "image", false, {}, {}}, {"wireframe", "wireframe", false, {}, {}}};
    const std::vector<std::int64_t> shape = {n, 3, kHeight, kWidth};
    assign_splits(d, {FloatArray{shape, std::move(screenshots)}, FloatArray{shape, std::move(wireframes)}}, labels,
                  split);
    compute_statistics(d, 0, /*apply=*/false);
    compute_statistics(d, 1, /*apply=*/false);
    return d;
}

}  // namespace sm4

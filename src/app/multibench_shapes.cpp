#include "app/multibench_shapes.h"

#include <map>

namespace sm4 {

std::optional<TaskSpec> multibench_spec(const std::string& name) {
    using Shape = std::vector<std::int64_t>;
    static const std::map<std::string, TaskSpec> specs = {
        {"avmnist", {"avmnist", TaskType::Classification, 10,
                     {{"image", "image", Shape{1, 28, 28}}, {"audio", "audio", Shape{1, 112, 112}}}}},
        {"enrico", {"enrico", TaskType::Classification, 20,
                    {{"screenshot", "image", Shape{3, 256, 128}}, {"wireframe", "wireframe", Shape{3, 256, 128}}}}},
        {"mimic", {"mimic", TaskType::Binary, 2,
                   {{"static", "table", Shape{5}}, {"timeseries", "timeseries", Shape{24, 12}}}}},
        {"mosei", {"mosei", TaskType::Binary, 2,
                   {{"vision", "video", Shape{50, 35}}, {"audio", "audio", Shape{50, 74}}, {"text", "text", Shape{50, 300}}}}},
        {"urfunny", {"urfunny", TaskType::Binary, 2,
                     {{"vision", "video", Shape{50, 371}}, {"audio", "audio", Shape{50, 81}}, {"text", "text", Shape{50, 300}}}}},
        {"push", {"push", TaskType::Regression, 32,
                  {{"gripper_pos", "proprioception", Shape{16, 3}}, {"gripper_sensors", "force", Shape{16, 7}},
                   {"image", "video", Shape{16, 32, 32}}, {"control", "control", Shape{16, 7}}}}},
        {"vt", {"vt", TaskType::Binary, 2,
                {{"image", "image", Shape{3, 128, 128}}, {"force", "force", Shape{6, 32}}, {"proprio", "proprioception", Shape{8}},
                 {"depth", "depth", Shape{1, 128, 128}}, {"action", "control", Shape{4}}}}},
    };
    const auto it = specs.find(name);
    if (it == specs.end()) return std::nullopt;
    return it->second;
}

}  // namespace sm4

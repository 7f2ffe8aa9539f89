#include "core/task_type.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace sm4 {

TaskType parse_task_type(const std::string& text, const std::string& where) {
    if (const auto type = find_choice<TaskType>(text)) return *type;
    throw DataError(fmt::format("{}: task_type '{}' is not one of classification, binary, regression, multilabel",
                                where, text));
}

bool has_class_labels(TaskType type) { return type == TaskType::Classification || type == TaskType::Binary; }

}  // namespace sm4

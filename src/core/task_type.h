// What a task predicts and the splits its data comes in, shared by the dataset format (io), the
// model's heads, the losses and the config.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/choice.h"

namespace sm4 {

enum class TaskType { Classification, Binary, Regression, Multilabel };

template <> struct ChoiceNames<TaskType> {
    static constexpr std::array<std::string_view, 4> names{"classification", "binary", "regression", "multilabel"};
};

enum class Split { Train, Val, Test };
template <> struct ChoiceNames<Split> { static constexpr std::array<std::string_view, 3> names{"train", "val", "test"}; };
inline constexpr std::array<Split, 3> kSplits{Split::Train, Split::Val, Split::Test};

// The member of `data` (anything with train, val and test members) that `which` names.
template <class Data> auto& split_member(Data& data, Split which) {
    switch (which) {
        case Split::Train: return data.train;
        case Split::Val: return data.val;
        case Split::Test: break;
    }
    return data.test;
}

// The type named `text`; DataError "<where>: task_type 'x' is not one of ..." otherwise.
TaskType parse_task_type(const std::string& text, const std::string& where);

// True for task types whose labels are class indices (int64 [N]) rather than targets ([N, D]).
bool has_class_labels(TaskType type);

}  // namespace sm4

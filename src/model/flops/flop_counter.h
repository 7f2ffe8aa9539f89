// A counter of the matrix products LibTorch actually executes: while a MatmulFlopCounter is
// alive, every aten::mm, addmm, bmm, baddbmm and convolution dispatched (on any thread) adds
// 2 * multiply-adds from its input shapes, so routing decisions, dropped tokens and empty experts
// show. Products nested inside a counted one (a convolution done as a matrix product) are not
// counted again; matmul and linear are not counted themselves, only what they dispatch to.
// Each product is labelled by the first registered tensor among its inputs (a parameter, or a
// view of one), so callers can attribute it to a component.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <vector>

namespace sm4 {

// Whether a MatmulFlopCounter is counting now (the fused attention then takes LibTorch's ops,
// whose products the counter sees).
bool flop_counter_active();

class MatmulFlopCounter {
public:
    MatmulFlopCounter();   // starts counting (at most one counter at a time: UsageError otherwise)
    ~MatmulFlopCounter();  // stops
    MatmulFlopCounter(const MatmulFlopCounter&) = delete;
    MatmulFlopCounter& operator=(const MatmulFlopCounter&) = delete;

    // Products with an input in the storage of one of `tensors` get `label` (>= 0).
    void label(std::int64_t label, const std::vector<at::Tensor>& tensors);

    double total() const;                         // FLOPs counted so far
    std::map<std::int64_t, double> by_label() const;  // label -> FLOPs; -1: no registered input
    void clear();

    // Used by the RecordFunction callback: the label of a product's input (-1: none), and a count.
    std::int64_t label_of(const at::Tensor& input) const;
    void add(std::int64_t label, double flops);

private:
    struct Range {
        std::uintptr_t begin, end;
        std::int64_t label;
    };
    std::vector<Range> ranges_;
    std::map<std::int64_t, double> flops_;
    std::uint64_t handle_ = 0;
};

}  // namespace sm4

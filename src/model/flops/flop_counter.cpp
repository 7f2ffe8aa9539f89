#include "model/flops/flop_counter.h"

#include <ATen/ATen.h>
#include <ATen/record_function.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "core/errors.h"

namespace sm4 {
namespace {

std::atomic<MatmulFlopCounter*> active_counter{nullptr};
std::mutex counter_mutex;
thread_local int counted_depth = 0;  // > 0 inside a counted product on this thread

struct CountedOp : at::ObserverContext {};

enum class Op { None, Mm, Addmm, Bmm, Baddbmm, Convolution };

Op op_of(const char* name) {
    if (std::strncmp(name, "aten::", 6) != 0) return Op::None;
    const char* op = name + 6;
    if (std::strcmp(op, "mm") == 0) return Op::Mm;
    if (std::strcmp(op, "addmm") == 0) return Op::Addmm;
    if (std::strcmp(op, "bmm") == 0) return Op::Bmm;
    if (std::strcmp(op, "baddbmm") == 0) return Op::Baddbmm;
    if (std::strcmp(op, "convolution") == 0) return Op::Convolution;
    return Op::None;
}

// 2 * M * K * N for [.., M, K] x [.., K, N], times the batch of a bmm.
double product_flops(const at::Tensor& a, const at::Tensor& b) {
    double batch = 1;
    for (std::int64_t i = 0; i + 2 < a.dim(); ++i) batch *= static_cast<double>(a.size(i));
    return 2.0 * batch * static_cast<double>(a.size(-2)) * static_cast<double>(a.size(-1)) *
           static_cast<double>(b.size(-1));
}

// convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
// 2 * outputs * (input channels per group * kernel volume).
double convolution_flops(c10::ArrayRef<const c10::IValue> in) {
    const at::Tensor& input = in[0].toTensor();
    const at::Tensor& weight = in[1].toTensor();
    const auto stride = in[3].toIntVector(), padding = in[4].toIntVector(), dilation = in[5].toIntVector();
    double outputs = static_cast<double>(input.size(0) * weight.size(0));
    for (std::int64_t s = 2; s < input.dim(); ++s) {
        // A one-element list applies to every spatial axis.
        auto at_axis = [s](const std::vector<std::int64_t>& v) { return v.size() == 1 ? v[0] : v[static_cast<std::size_t>(s - 2)]; };
        const std::int64_t k = weight.size(s);
        outputs *= static_cast<double>((input.size(s) + 2 * at_axis(padding) - at_axis(dilation) * (k - 1) - 1) / at_axis(stride) + 1);
    }
    return 2.0 * outputs * static_cast<double>(weight.numel() / weight.size(0));
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
    const Op op = op_of(fn.name());
    if (op == Op::None) return nullptr;
    if (counted_depth++ > 0) return std::make_unique<CountedOp>();  // inside a counted product
    MatmulFlopCounter* counter = active_counter.load();
    const auto in = fn.inputs();
    if (!counter || in.size() < 2) return std::make_unique<CountedOp>();
    const std::size_t first = (op == Op::Addmm || op == Op::Baddbmm) ? 1 : 0;
    if (in.size() < first + 2 || !in[first].isTensor() || !in[first + 1].isTensor()) return std::make_unique<CountedOp>();
    const at::Tensor& a = in[first].toTensor();
    const at::Tensor& b = in[first + 1].toTensor();
    const double flops = op == Op::Convolution ? convolution_flops(in) : product_flops(a, b);
    std::int64_t label = counter->label_of(a);
    if (label < 0) label = counter->label_of(b);
    if (label < 0 && first == 1 && in[0].isTensor()) label = counter->label_of(in[0].toTensor());  // the bias
    counter->add(label, flops);
    return std::make_unique<CountedOp>();
}

void on_end(const at::RecordFunction&, at::ObserverContext* context) {
    if (context) --counted_depth;
}

}  // namespace

bool flop_counter_active() { return active_counter.load() != nullptr; }

MatmulFlopCounter::MatmulFlopCounter() {
    MatmulFlopCounter* none = nullptr;
    if (!active_counter.compare_exchange_strong(none, this))
        throw UsageError("a FLOP counter is already counting; only one can run at a time");
    handle_ = at::addGlobalCallback(
        at::RecordFunctionCallback(on_start, on_end).needsInputs(true).scopes({at::RecordScope::FUNCTION}));
}

MatmulFlopCounter::~MatmulFlopCounter() {
    at::removeCallback(handle_);
    active_counter.store(nullptr);
}

void MatmulFlopCounter::label(std::int64_t label, const std::vector<at::Tensor>& tensors) {
    const std::lock_guard<std::mutex> lock(counter_mutex);
    for (const auto& t : tensors) {
        if (!t.defined() || t.numel() == 0) continue;
        const auto begin = reinterpret_cast<std::uintptr_t>(t.storage().data());
        ranges_.push_back({begin, begin + t.storage().nbytes(), label});
    }
}

std::int64_t MatmulFlopCounter::label_of(const at::Tensor& input) const {
    if (!input.defined() || input.numel() == 0 || !input.has_storage()) return -1;
    const auto p = reinterpret_cast<std::uintptr_t>(input.data_ptr());
    const std::lock_guard<std::mutex> lock(counter_mutex);
    for (const auto& r : ranges_)
        if (p >= r.begin && p < r.end) return r.label;
    return -1;
}

void MatmulFlopCounter::add(std::int64_t label, double flops) {
    const std::lock_guard<std::mutex> lock(counter_mutex);
    flops_[label] += flops;
}

double MatmulFlopCounter::total() const {
    const std::lock_guard<std::mutex> lock(counter_mutex);
    double sum = 0;
    for (const auto& [label, f] : flops_) sum += f;
    return sum;
}

std::map<std::int64_t, double> MatmulFlopCounter::by_label() const {
    const std::lock_guard<std::mutex> lock(counter_mutex);
    return flops_;
}

void MatmulFlopCounter::clear() {
    const std::lock_guard<std::mutex> lock(counter_mutex);
    flops_.clear();
}

}  // namespace sm4

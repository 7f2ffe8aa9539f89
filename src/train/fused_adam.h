// LibTorch's Adam and AdamW with the update of each parameter in one pass over its elements
// (LibTorch's step runs about eight tensor ops per parameter, each with its own dispatch and
// temporaries), and gradient-norm clipping in one pass per gradient. Same state, options and
// checkpoint format as torch::optim::Adam / AdamW (they are those classes, step() overridden);
// parameters off the CPU or not float32, and amsgrad, take LibTorch's own step.
#pragma once

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>

#include <vector>

namespace sm4 {

class FusedAdamW : public torch::optim::AdamW {
public:
    using torch::optim::AdamW::AdamW;
    at::Tensor step(LossClosure closure = nullptr) override;
};

// torch.optim.Adam: weight decay added to the gradient (HighMMT's optimizer).
class FusedAdam : public torch::optim::Adam {
public:
    using torch::optim::Adam::Adam;
    at::Tensor step(LossClosure closure = nullptr) override;
};

// torch::nn::utils::clip_grad_norm_ (L2): scales every gradient by max_norm / (norm + 1e-6) when
// that is below 1, the norm over all gradients together. The sum of squares is taken in double
// (LibTorch: float norms per tensor, then the norm of those), so a clipped step can differ from
// LibTorch's in the last bits. Returns the norm.
double clip_gradient_norm(const std::vector<at::Tensor>& parameters, double max_norm);

}  // namespace sm4

#include "model/flops/flop_measure.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>

#include "model/flops/flop_count.h"
#include "model/encoder/perceiver_layer.h"
#include "model/flops/flop_counter.h"

namespace sm4 {
namespace {

// Who owns a set of weights: a component and the slots that can reach it (empty: every slot).
struct Owner {
    std::string component;
    std::vector<std::int64_t> slots;
};

class Labels {
public:
    explicit Labels(MatmulFlopCounter& counter) : counter_(counter) {}
    void add(Owner owner, const std::vector<at::Tensor>& tensors) {
        counter_.label(static_cast<std::int64_t>(owners_.size()), tensors);
        owners_.push_back(std::move(owner));
    }
    // Products of activations only (attention scores and mixing) belong to `unlabelled`.
    const Owner& owner(std::int64_t label, const Owner& unlabelled) const {
        return label < 0 ? unlabelled : owners_[static_cast<std::size_t>(label)];
    }

private:
    MatmulFlopCounter& counter_;
    std::vector<Owner> owners_;
};

void label_highmmt(HighMmtNetworkImpl& net, Labels& labels) {
    for (std::size_t i = 0; i < net.encoder->layers->size(); ++i) {
        const auto layer = net.encoder->layers->ptr<PerceiverLayerImpl>(i);
        labels.add({kAttention, {}}, layer->cross->parameters());
        labels.add({kAttention, {}}, layer->self->parameters());
        labels.add({kFeedForward, {}}, layer->ff->parameters());
        labels.add({kFeedForward, {}}, layer->self_ff->parameters());
    }
    for (std::size_t i = 0; i < net.pairs->size(); ++i) labels.add({kCrossModal, {}}, net.pairs[i]->parameters());
    for (auto& head : net.heads) labels.add({kHead, {}}, head->parameters());
}

// The layers and heads (the encoder is measured on its own, per modality).
void label_layers(MultitaskModelImpl& model, Labels& labels) {
    if (model.latent_projection) labels.add({kEncoder, {}}, model.latent_projection->parameters());
    for (std::size_t i = 0; i < model.layers->size(); ++i) {
        const auto layer = model.layers->ptr<TransformerLayerImpl>(i);
        if (layer->attention) labels.add({kAttention, {}}, layer->attention->parameters());
        if (const auto& smoa = layer->smoa) {
            for (const auto& r : smoa->routers) labels.add({kRouter, {}}, r->parameters());
            for (std::size_t g = 0; g < 3; ++g) labels.add({kSmoa, {}}, {smoa->weight[g], smoa->bias[g]});
            labels.add({kSmoa, {}}, smoa->out->parameters());
        }
        if (layer->ff1) labels.add({kFeedForward, {}}, {layer->ff1->weight, layer->ff1->bias, layer->ff2->weight, layer->ff2->bias});
        if (const auto& smoe = layer->smoe) {
            labels.add({kRouter, {}}, smoe->router->parameters());
            labels.add({kSmoe, {}}, smoe->experts->parameters());
        }
    }
    for (auto& head : model.heads) labels.add({kHead, {}}, head->parameters());
}

// Which of the task's modalities an owner's slots are (empty: all of them).
std::vector<std::string> modalities_of(const Owner& owner, std::int64_t first_slot, const std::vector<ModalitySpec>& modalities) {
    std::vector<std::string> names;
    for (std::int64_t s : owner.slots)
        if (s >= first_slot && s < first_slot + static_cast<std::int64_t>(modalities.size()))
            names.push_back(modalities[static_cast<std::size_t>(s - first_slot)].name);
    if (names.size() == modalities.size()) names.clear();  // reached by all
    return names;
}

// One counted pass: its products by owner, per sample.
void collect(const MatmulFlopCounter& counter, const Labels& labels, const Owner& unlabelled, std::int64_t first_slot,
             const std::vector<ModalitySpec>& modalities, double batch, std::vector<MeasuredPart>& parts) {
    for (const auto& [label, flops] : counter.by_label()) {
        const Owner& owner = labels.owner(label, unlabelled);
        parts.push_back({owner.component, modalities_of(owner, first_slot, modalities), flops / batch});
    }
}

}  // namespace

std::vector<MeasuredPart> measure_task_flops(MultitaskModel& model, std::size_t task,
                                             const std::vector<at::Tensor>& inputs) {
    const bool was_training = model->is_training();
    model->eval();
    std::vector<MeasuredPart> parts;
    const auto& modalities = model->tasks()[task].modalities;
    const double batch = static_cast<double>(inputs.at(0).size(0));
    const std::int64_t first_slot = model->first_slot(task);
    {
        const torch::NoGradGuard no_grad;
        if (model->highmmt) {
            MatmulFlopCounter counter;
            Labels labels(counter);
            label_highmmt(*model->highmmt, labels);
            model->forward(task, inputs);
            collect(counter, labels, {kAttention, {}}, first_slot, modalities, batch, parts);
        } else {
            // The encoder one modality at a time: every product of its pass is that modality's.
            std::vector<at::Tensor> latents;
            for (std::size_t m = 0; m < inputs.size(); ++m) {
                MatmulFlopCounter counter;
                latents.push_back(model->encode(task, m, inputs[m]));
                parts.push_back({kEncoder, {modalities[m].name}, counter.total() / batch});
            }
            MatmulFlopCounter counter;
            Labels labels(counter);
            label_layers(*model, labels);
            model->forward_latents(task, latents, std::vector<bool>(inputs.size(), true));
            collect(counter, labels, {kAttention, {}}, first_slot, modalities, batch, parts);
        }
    }
    model->train(was_training);
    return parts;
}

void attach_measured(std::vector<FlopsRecord>& rows, const std::string& model, const std::string& task,
                     const std::vector<MeasuredPart>& parts) {
    for (auto& r : rows)
        if (r.model == model && r.task == task) r.measured_flops = 0.0;
    for (const auto& part : parts) {
        // A part of named modalities goes to their rows; one every modality reaches to the
        // component's shared row (modality ""), or else over all its rows.
        std::vector<FlopsRecord*> targets;
        auto match = [&](const FlopsRecord& r) { return r.model == model && r.task == task && r.component == part.component; };
        for (auto& r : rows)
            if (match(r) && (part.modalities.empty() ? r.modality.empty()
                                                     : std::find(part.modalities.begin(), part.modalities.end(), r.modality) !=
                                                           part.modalities.end()))
                targets.push_back(&r);
        if (targets.empty() && part.modalities.empty())
            for (auto& r : rows)
                if (match(r)) targets.push_back(&r);
        if (targets.empty()) {
            rows.push_back({model, task, "", part.component, 0, 0.0, 0.0, part.flops});
            continue;
        }
        double analytic = 0;
        for (const auto* r : targets) analytic += r->flops;
        for (auto* r : targets)
            *r->measured_flops += part.flops * (analytic > 0 ? r->flops / analytic : 1.0 / static_cast<double>(targets.size()));
    }
}

}  // namespace sm4

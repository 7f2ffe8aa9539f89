#include "model/flop_measure.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>

#include "model/flop_count.h"
#include "model/flop_counter.h"

namespace sm4 {
namespace {

// Who owns a set of weights: a component and the slots that can reach it (empty: every slot).
struct Owner {
    std::string component;
    std::vector<std::int64_t> slots;
};

std::vector<std::int64_t> slots_of_group(const ExpertGroups& groups, std::size_t group) {
    std::vector<std::int64_t> slots;
    for (std::size_t s = 0; s < groups.group_of_slot.size(); ++s)
        if (groups.group_of_slot[s] == static_cast<std::int64_t>(group)) slots.push_back(static_cast<std::int64_t>(s));
    return slots;
}

class Labels {
public:
    explicit Labels(MatmulFlopCounter& counter) : counter_(counter) {}
    void add(Owner owner, const std::vector<at::Tensor>& tensors) {
        counter_.label(static_cast<std::int64_t>(owners_.size()), tensors);
        owners_.push_back(std::move(owner));
    }
    // Per-group routers of a GroupedRouter.
    void add_routers(const GroupedRouter& router) {
        for (std::size_t g = 0; g < router->routers.size(); ++g)
            add({kRouter, slots_of_group(router->groups(), g)}, router->routers[g]->parameters());
    }
    const Owner& owner(std::int64_t label) const {
        static const Owner scores{kAttention, {}};  // products of activations only
        return label < 0 ? scores : owners_[static_cast<std::size_t>(label)];
    }

private:
    MatmulFlopCounter& counter_;
    std::vector<Owner> owners_;
};

void label_highmmt(HighMmtNetworkImpl& net, Labels& labels) {
    for (std::size_t i = 0; i < net.unimodal->size(); ++i) {
        const auto layer = net.unimodal->ptr<PerceiverLayerImpl>(i);
        labels.add({kAttention, {}}, layer->cross->parameters());
        labels.add({kAttention, {}}, layer->self->parameters());
        labels.add({kFeedForward, {}}, layer->ff->parameters());
        labels.add({kFeedForward, {}}, layer->self_ff->parameters());
    }
    for (std::size_t i = 0; i < net.pairs->size(); ++i) labels.add({kCrossModal, {}}, net.pairs[i]->parameters());
    for (auto& head : net.heads) labels.add({kHead, {}}, head->parameters());
}

void label_model(MultitaskModelImpl& model, Labels& labels) {
    if (model.highmmt) return label_highmmt(*model.highmmt, labels);
    for (std::size_t s = 0; s < model.tokenizers.size(); ++s)
        labels.add({kTokenizer, {static_cast<std::int64_t>(s)}}, model.tokenizers[s]->parameters());
    for (std::size_t i = 0; i < model.blocks->size(); ++i) {
        const auto block = model.blocks->ptr<BlockImpl>(i);
        if (block->attention) labels.add({kAttention, {}}, block->attention->parameters());
        if (const auto& heads = block->head_experts) {
            labels.add({kAttention, {}}, heads->kv->parameters());
            labels.add({kAttention, {}}, heads->w_query);
            labels.add({kAttention, {}}, heads->w_output);
            labels.add_routers(heads->router);
        }
        if (block->ff1) labels.add({kFeedForward, {}}, {block->ff1->weight, block->ff1->bias, block->ff2->weight, block->ff2->bias});
        if (const auto& moe = block->moe) {
            labels.add({kRouter, {}}, moe->router->parameters());
            labels.add({kExperts, {}}, moe->experts->parameters());
        }
        if (const auto& moe = block->sm4_moe) {
            labels.add_routers(moe->router);
            for (std::size_t b = 0; b < moe->banks.size(); ++b)
                labels.add({kExperts, b < moe->groups().size() ? slots_of_group(moe->groups(), b) : std::vector<std::int64_t>{}},
                           moe->banks[b]->parameters());
        }
    }
    for (auto& head : model.heads) labels.add({kHead, {}}, head->parameters());
}

}  // namespace

std::vector<MeasuredPart> measure_task_flops(MultitaskModel& model, std::size_t task,
                                             const std::vector<at::Tensor>& inputs) {
    const bool was_training = model->is_training();
    model->eval();
    std::map<std::int64_t, double> by_label;
    std::vector<MeasuredPart> parts;
    {
        MatmulFlopCounter counter;
        Labels labels(counter);
        label_model(*model, labels);
        {
            const torch::NoGradGuard no_grad;
            model->forward(task, inputs);
        }
        by_label = counter.by_label();
        std::int64_t first_slot = 0;
        for (std::size_t t = 0; t < task; ++t) first_slot += static_cast<std::int64_t>(model->tasks()[t].modalities.size());
        const auto& modalities = model->tasks()[task].modalities;
        const double batch = static_cast<double>(inputs.at(0).size(0));
        for (const auto& [label, flops] : by_label) {
            const Owner& owner = labels.owner(label);
            MeasuredPart part{owner.component, {}, flops / batch};
            for (std::int64_t s : owner.slots)
                if (s >= first_slot && s < first_slot + static_cast<std::int64_t>(modalities.size()))
                    part.modalities.push_back(modalities[static_cast<std::size_t>(s - first_slot)].name);
            if (part.modalities.size() == modalities.size()) part.modalities.clear();  // reached by all
            parts.push_back(part);
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
        std::vector<FlopsRecord*> targets;
        for (auto& r : rows)
            if (r.model == model && r.task == task && r.component == part.component && r.modality.empty()) targets.push_back(&r);
        if (targets.empty()) {
            for (auto& r : rows)
                if (r.model == model && r.task == task && r.component == part.component &&
                    (part.modalities.empty() ||
                     std::find(part.modalities.begin(), part.modalities.end(), r.modality) != part.modalities.end()))
                    targets.push_back(&r);
        }
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

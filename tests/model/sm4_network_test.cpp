// The paper's network as stages (docs/sm4.md): the encoder gives N latents per modality whatever
// its token count, fusion concatenates them, the heads read latent_dim per modality through
// BatchNorm + Linear; modalities can be absent; bad structure is a config error naming the key.
#include <catch.hpp>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "core/config_loader.h"
#include "core/errors.h"
#include "model/heads/batch_norm.h"
#include "model/multitask_model.h"
#include "flop_fixture.h"
#include "../support/config_error.h"

using namespace sm4;
using sm4::test::config_error;
using Catch::Matchers::Contains;

namespace {

std::vector<TaskSpec> two_tasks() {
    return {test::image_and_sequence_task(),
            {"b", TaskType::Binary, 2, {{"features", "table", {6}}, {"img", "image", {3, 12, 10}}, {"seq", "sequence", {9, 2}}}}};
}


}  // namespace

TEST_CASE("sm4 network: the encoder gives N latents per modality whatever its token count", "[model][sm4]") {
    at::manual_seed(2);
    ModelConfig c = test::tiny_model("sm4", 1);
    c.latents = 3;
    const auto tasks = two_tasks();
    MultitaskModel model(c, tasks);
    // b's modalities give 6, 120 and 9 tokens; each leaves as 3 latents of 8.
    CHECK(model->encoder->layout().tasks[1][0].tokens() == 6);
    CHECK(model->encoder->layout().tasks[1][1].tokens() == 120);
    const auto inputs = test::random_batch(tasks[1], 5);
    for (std::size_t m = 0; m < inputs.size(); ++m) CHECK(model->encode(1, m, inputs[m]).sizes() == at::IntArrayRef{5, 3, 8});
}

TEST_CASE("sm4 network: the head reads latent_dim per modality through BatchNorm, then a Linear", "[model][sm4]") {
    ModelConfig c = test::tiny_model("sm4", 1);
    c.binary_logits = 2;
    MultitaskModel model(c, two_tasks());
    REQUIRE(model->heads[0]->batch_norm);
    CHECK(model->heads[0]->batch_norm->weight.size(0) == 8 * 2);  // a: 2 modalities
    CHECK(model->heads[1]->linear->weight.sizes() == at::IntArrayRef{2, 8 * 3});  // b: 3 modalities, two logits
    // Two logits z0, z1 leave as one output z1 - z0, so binary cross-entropy is their cross-entropy.
    model->eval();
    const at::Tensor out = model->forward(1, test::random_batch(two_tasks()[1], 4)).outputs;
    CHECK(out.sizes() == at::IntArrayRef{4, 1});
    const at::Tensor logits = at::randn({4, 2});
    const at::Tensor labels = at::tensor({0, 1, 1, 0}, at::kLong);
    CHECK(at::binary_cross_entropy_with_logits(as_task_output(logits, true).squeeze(1), labels.to(at::kFloat)).item<double>() ==
          Approx(at::cross_entropy_loss(logits, labels).item<double>()));
}

TEST_CASE("sm4 network: an absent modality is left out of the sequence and zero in the head", "[model][sm4]") {
    at::manual_seed(3);
    ModelConfig c = test::tiny_model("sm4", 1);
    c.modality_top_k = {1, 2, 1, 2, 3};
    const auto tasks = two_tasks();
    MultitaskModel model(c, tasks);
    model->eval();
    auto inputs = test::random_batch(tasks[1], 4);
    const at::Tensor all = model->forward(1, inputs).outputs;
    const at::Tensor without_img = model->forward(1, inputs, {true, false, true}).outputs;
    CHECK(without_img.sizes() == all.sizes());
    CHECK(!at::allclose(all, without_img));
    // The absent modality's input is never read: garbage there changes nothing.
    inputs[1] = at::full_like(inputs[1], std::nan(""));
    CHECK(at::allclose(model->forward(1, inputs, {true, false, true}).outputs, without_img));
    CHECK_THROWS_WITH(model->forward(1, inputs, {false, false, false}), Contains("at least one modality"));
}

TEST_CASE("sm4 network: batch fusion keeps every modality its own sequence (Table 11)", "[model][sm4]") {
    at::manual_seed(4);
    ModelConfig c = test::tiny_model("sm4", 1);
    c.head_norm = HeadNorm::None;  // the head is then b + sum over modalities of W_m f_m
    const auto tasks = two_tasks();
    for (const Fusion fusion : {Fusion::Batch, Fusion::Sequence}) {
        c.fusion = fusion;
        MultitaskModel model(c, tasks);
        model->eval();
        std::vector<at::Tensor> latents;
        const auto inputs = test::random_batch(tasks[1], 3);
        for (std::size_t m = 0; m < inputs.size(); ++m) latents.push_back(model->encode(1, m, inputs[m]));
        const at::Tensor full = model->forward_latents(1, latents, {true, true, true}).outputs;
        at::Tensor alone = -2 * model->heads[1]->linear->bias.narrow(0, 0, 1);  // head bias counted once
        for (std::size_t m = 0; m < 3; ++m) {
            std::vector<bool> present(3, false);
            present[m] = true;
            alone = alone + model->forward_latents(1, latents, present).outputs;
        }
        // Batch fusion: modality m's features do not depend on the other modalities, so the full
        // output is the sum of the single-modality ones; sequence fusion mixes them in attention.
        INFO((fusion == Fusion::Batch ? "batch" : "sequence"));
        CHECK(at::allclose(full, alone, 1e-4, 1e-5) == (fusion == Fusion::Batch));
    }
}

TEST_CASE("sm4 network: batch statistics summed over ranks give LibTorch's batch norm, gradients too", "[model][sm4]") {
    at::manual_seed(5);
    BatchNorm plain(6), synced(6);
    // One rank whose "other ranks" contribute nothing: the sums are its own.
    synced->set_replica_group({[](const std::vector<at::Tensor>&) {}, 1});
    const at::Tensor x = at::randn({7, 6}).requires_grad_();
    const at::Tensor probe = at::randn({7, 6});
    const at::Tensor a = plain(x), b = synced(x);
    CHECK(at::allclose(a, b, 1e-5, 1e-6));
    const auto ga = torch::autograd::grad({(a * probe).sum()}, {x, plain->weight, plain->bias});
    const auto gb = torch::autograd::grad({(b * probe).sum()}, {x, synced->weight, synced->bias});
    for (std::size_t i = 0; i < 3; ++i) CHECK(at::allclose(ga[i], gb[i], 1e-4, 1e-6));
    CHECK(at::allclose(plain->running_mean, synced->running_mean, 1e-6, 1e-7));
    CHECK(at::allclose(plain->running_var, synced->running_var, 1e-5, 1e-6));

    // Two halves whose sums are exchanged give the whole batch's statistics on each half.
    BatchNorm left(6), right(6);
    const at::Tensor x1 = x.detach().narrow(0, 0, 3), x2 = x.detach().narrow(0, 3, 4);
    std::vector<at::Tensor> stash;
    left->set_replica_group({[&](const std::vector<at::Tensor>& t) { stash = {t[0].clone()}; }, 2});  // left goes first
    right->set_replica_group({[&](const std::vector<at::Tensor>& t) { t[0].add_(stash[0]); }, 2});
    left(x1);
    const at::Tensor y2 = right(x2);
    CHECK(at::allclose(y2, a.detach().narrow(0, 3, 4), 1e-5, 1e-6));
}

TEST_CASE("sm4 network: bad structure is a config error naming the key", "[model][sm4][errors]") {
    CHECK_THAT(config_error({"model.modality_top_k=[40]"}), Contains("model.modality_top_k") && Contains("40"));
    CHECK_THAT(config_error({"model.ffn_router=per_expert"}), Contains("model.ffn_router") && Contains("\"single\", \"modality\", \"task\", \"none\""));
    CHECK_THAT(config_error({"model.attention_router=global"}), Contains("model.attention_router"));
    CHECK_THAT(config_error({"model.latents=0"}), Contains("model.latents"));
    CHECK_THAT(config_error({"model.head_pooling=max"}), Contains("model.head_pooling") && Contains("\"mean\", \"first\", \"last\""));
    CHECK_THAT(config_error({"model.fusion=channels"}), Contains("model.fusion") && Contains("\"sequence\", \"batch\""));
    CHECK_THAT(config_error({"model.sparse_layers=[3]"}), Contains("model.sparse_layers: layer 3"));
    CHECK_THAT(config_error({"model.heads=3"}), Contains("model.heads (3) must divide model.d_model (64)"));
    CHECK_THAT(config_error({"aea.max_k=20"}), Contains("aea.max_k (20) is above model.num_experts (16)"));
    // Per slot, at build time: the list's length, and a k a group does not have.
    ModelConfig c = test::tiny_model("sm4", 1);
    c.modality_top_k = {1, 2, 3};
    CHECK_THROWS_WITH(MultitaskModel(c, two_tasks()), Contains("model.modality_top_k has 3 values for the 5 modality slots"));
    c.modality_top_k = {1, 2, 1, 5, 1};
    CHECK_THROWS_WITH(MultitaskModel(c, two_tasks()), Contains("model.modality_top_k: b/img would activate 5 experts"));
    // Keys of sm4's design 1 are refused, saying what replaced them.
    CHECK_THAT(config_error({"model.group_experts=[1,2]"}), Contains("model.group_experts") && Contains("retired"));
    CHECK_THAT(config_error({"model.top_k=2"}), Contains("model.modality_top_k"));
}

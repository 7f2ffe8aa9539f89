#!/usr/bin/python3
"""Python PyTorch peer of sm4's minibench model, for end-to-end throughput comparisons.

The same model and training step as `sm4 bench --e2e` (src/bench/e2e_bench.cpp) builds for
experiments/minibench.toml, written the ordinary Python way: nn.Linear / nn.LayerNorm modules,
attention as plain matmul + softmax, and MoE layers as a loop over experts with index_select /
index_add (the Hugging Face Mixtral style), with sm4's noisy top-k gating, balance and z-losses
and expert capacity. bench/peer/README.md maps each part to its C++ file.

  /usr/bin/python3 bench/peer/sm4_peer.py --backbone smoe [--synthetic] [--threads 1] [--json]
  /usr/bin/python3 bench/peer/sm4_peer.py --backbone dense --losses 200   # loss check vs `sm4 train`
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

# experiments/minibench.toml resolved with sm4's defaults (`sm4 config -c experiments/minibench.toml`).
CONFIG = dict(
    tasks=["fashion-mnist", "digits-av", "breast-cancer", "wine"],
    d_model=64, layers=2, heads=4, ffn_hidden=128, expert_hidden=0, dropout=0.1, patch_size=0, image_grid=4,
    num_experts=8, top_k=2, moe_every=1, capacity_factor=1.25, noisy_gating=True,
    balance_loss_weight=0.01, router_z_loss_weight=0.0,
    # highmmt backbone (docs/highmmt.md)
    latents=20, latent_dim=64, cross_heads=1, cross_head_dim=64, latent_heads=8, latent_head_dim=64,
    pair_heads=4, pair_head_dim=64, ff_mult=4, cross_depth=2, unimodal_depth=1, fourier_bands=8, max_freq=1.0,
    # train
    batch_size=64, lr=2e-3, weight_decay=0.01, grad_clip=1.0, warmup_fraction=0.05,
)

# Task shapes when the files are not read (--synthetic): src/bench/e2e_bench.cpp known_task.
# (name, type, num_outputs, [example shape per modality])
KNOWN_TASKS = {
    "fashion-mnist": ("classification", 10, [(1, 28, 28)]),
    "digits-av": ("classification", 10, [(1, 8, 8), (1, 32, 32)]),
    "breast-cancer": ("binary", 2, [(30,)]),
    "wine": ("classification", 3, [(13,)]),
}


class Task:
    def __init__(self, name, kind, num_outputs, shapes):
        self.name, self.kind, self.num_outputs, self.shapes = name, kind, num_outputs, [tuple(s) for s in shapes]
        self.head_outputs = 1 if kind == "binary" else num_outputs  # one logit for binary tasks

    def loss(self, outputs, labels):  # src/train/losses.cpp
        if self.kind == "binary":
            return F.binary_cross_entropy_with_logits(outputs.squeeze(1), labels.to(outputs.dtype))
        return F.cross_entropy(outputs, labels)


# ---------------------------------------------------------------------------------------------
# Tokenizers and attention (src/model/tokenizers.cpp, attention.cpp)

class Tokenizer(nn.Module):
    """Images to patch tokens (conv with stride = patch), [T, D] to one token per step, [D] tables
    to one token per feature (value * w_f + b_f); plus a learned position and modality embedding."""

    def __init__(self, shape, c):
        super().__init__()
        d = c["d_model"]
        self.patches = self.steps = None
        if len(shape) == 3:
            side = max(shape[1], shape[2])
            wanted = c["patch_size"] or -(-side // c["image_grid"])  # ceil(side / image_grid)
            p = min(wanted, shape[1], shape[2])
            self.patches = nn.Conv2d(shape[0], d, p, stride=p)
            tokens = (shape[1] // p) * (shape[2] // p)
        elif len(shape) == 2:
            self.steps = nn.Linear(shape[1], d)
            tokens = shape[0]
        else:
            self.feature_weight = nn.Parameter(torch.randn(shape[0], d) * 0.1)
            self.feature_bias = nn.Parameter(torch.randn(shape[0], d) * 0.1)
            tokens = shape[0]
        self.tokens = tokens
        self.position = nn.Parameter(torch.randn(tokens, d) * 0.02)
        self.modality_embedding = nn.Parameter(torch.randn(d) * 0.02)

    def forward(self, x):
        if self.patches is not None:
            t = self.patches(x).flatten(2).transpose(1, 2)
        elif self.steps is not None:
            t = self.steps(x)
        else:
            t = x.unsqueeze(-1) * self.feature_weight + self.feature_bias
        return t + self.position + self.modality_embedding


class MultiHeadAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)

    def forward(self, x):
        b, t, d = x.shape
        hd = d // self.heads
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        attn = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(hd), dim=-1)
        return self.out((attn @ v).transpose(1, 2).reshape(b, t, d))


# ---------------------------------------------------------------------------------------------
# Mixture of experts (src/model/routing.cpp, moe_feed_forward.cpp, sm4_moe.cpp, grouped_router.cpp)

def cv_squared(v):
    """var / mean^2 with the unbiased variance, as in Shazeer et al.'s code; 0 for one expert."""
    if v.numel() <= 1:
        return v.new_zeros(())
    return v.var() / (v.mean().pow(2) + 1e-10)


class TopKRouter(nn.Module):
    """Noisy top-k gating (Shazeer et al. 2017), op for op as TopKRouterImpl::route."""

    def __init__(self, d, experts, k, noisy):
        super().__init__()
        self.experts, self.k = experts, k
        self.gate = nn.Linear(d, experts, bias=False)
        self.noise = nn.Linear(d, experts, bias=False) if noisy else None
        with torch.no_grad():  # a zero router starts every expert equally likely
            self.gate.weight.zero_()
            if self.noise is not None:
                self.noise.weight.zero_()

    def forward(self, x):
        """x [N, d] -> indices [N, k], weights [N, k], balance loss, z-loss."""
        k = self.k
        clean = self.gate(x)
        noisy = self.noise is not None and self.training and k < self.experts
        logits = clean
        if noisy:
            noise_std = F.softplus(self.noise(x)) + 1e-2
            logits = clean + torch.randn_like(clean) * noise_std
        top_logits, top_indices = logits.topk(min(k + 1, self.experts), dim=1)  # k+1-th: load threshold
        indices = top_indices[:, :k]
        weights = torch.softmax(top_logits[:, :k], dim=1)
        gates = torch.zeros_like(logits).scatter(1, indices, weights)
        importance = gates.sum(0)
        if noisy:  # P(expert stays in the top k when only its own noise is redrawn)
            threshold_in, threshold_out = top_logits[:, k:k + 1], top_logits[:, k - 1:k]
            bar = torch.where(logits > threshold_in, threshold_in, threshold_out)
            load = (0.5 * (1.0 + torch.erf((clean - bar) / noise_std / math.sqrt(2.0)))).sum(0)
        else:
            load = (gates > 0).to(clean.dtype).sum(0)
        balance = cv_squared(importance) + cv_squared(load)
        z_loss = torch.logsumexp(clean, dim=1).pow(2).mean()
        return indices, weights, balance, z_loss


class Expert(nn.Module):
    """A two-layer GELU MLP (nn.Linear's init, as sm4's ExpertBank)."""

    def __init__(self, d, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, hidden), nn.Linear(hidden, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


def run_experts(x, experts, assignments, capacity):
    """assignments: flat (token, expert, gate weight, priority) tensors. Returns [N, d], per token
    the sum of weight * expert(x[token]) over its assignments. An expert over its capacity keeps
    the assignments of highest priority (the token's top-1 gate weight; ties by order), as sm4's
    batch-prioritised dropping (routing.cpp plan_assignments)."""
    tokens, expert_of, weights, priority = assignments
    order = torch.argsort(expert_of, stable=True)
    counts = torch.bincount(expert_of, minlength=len(experts)).tolist()
    kept_tokens, outputs, start = [], [], 0
    for e, n in enumerate(counts):
        if n == 0:
            continue
        rows = order[start:start + n]
        start += n
        if n > capacity[e]:
            rows = rows[torch.sort(priority[rows], descending=True, stable=True).indices[:capacity[e]]]
        tok = tokens[rows]
        outputs.append(experts[e](x.index_select(0, tok)) * weights[rows].unsqueeze(1))
        kept_tokens.append(tok)
    return torch.zeros_like(x).index_add(0, torch.cat(kept_tokens), torch.cat(outputs))


def capacity_of(factor, expected):
    """ceil(factor * expected assignments); factor <= 0: no limit (routing.cpp expert_capacity)."""
    return math.ceil(factor * expected) if factor > 0 else 1 << 62


def token_major(indices, weights, members):
    """Flat (token, expert, weight, priority) lists of a [n, k] routing of the rows `members`."""
    k = indices.shape[1]
    return (members.repeat_interleave(k), indices.reshape(-1), weights.reshape(-1),
            weights[:, 0].detach().repeat_interleave(k))


class MoeFeedForward(nn.Module):
    """Vanilla SMoE: one shared router per layer (backbone smoe)."""

    def __init__(self, c):
        super().__init__()
        d, h, e = c["d_model"], c["expert_hidden"] or c["ffn_hidden"], c["num_experts"]
        self.k, self.factor = c["top_k"], c["capacity_factor"]
        self.router = TopKRouter(d, e, self.k, c["noisy_gating"])
        self.experts = nn.ModuleList(Expert(d, h) for _ in range(e))

    def forward(self, x, slot_of_token):
        n = x.shape[0]
        indices, weights, balance, z = self.router(x)
        cap = capacity_of(self.factor, n * self.k / len(self.experts))
        flat = token_major(indices, weights, torch.arange(n))
        return run_experts(x, self.experts, flat, [cap] * len(self.experts)), balance, z


class Sm4Moe(nn.Module):
    """SM4: one router per modality group over that group's own experts (num_experts split evenly
    over the groups, the first groups taking the remainder); a token reaches only its group's."""

    def __init__(self, c, group_of_slot):
        super().__init__()
        d, h, k = c["d_model"], c["expert_hidden"] or c["ffn_hidden"], c["top_k"]
        groups = max(group_of_slot) + 1
        sizes = [c["num_experts"] // groups + (1 if g < c["num_experts"] % groups else 0) for g in range(groups)]
        self.factor, self.sizes = c["capacity_factor"], sizes
        self.offsets = [sum(sizes[:g]) for g in range(groups)]
        self.register_buffer("group_of_slot", torch.tensor(group_of_slot), persistent=False)
        self.routers = nn.ModuleList(TopKRouter(d, n, min(k, n), c["noisy_gating"]) for n in sizes)
        self.experts = nn.ModuleList(Expert(d, h) for _ in range(sum(sizes)))  # group g: offsets[g]...

    def forward(self, x, slot_of_token):
        group_of_token = self.group_of_slot[slot_of_token]
        parts, expected = [], [0.0] * len(self.experts)
        balance = z = x.new_zeros(())
        for g, router in enumerate(self.routers):
            members = (group_of_token == g).nonzero().squeeze(1)
            if members.numel() == 0:
                continue
            indices, weights, b, zl = router(x.index_select(0, members))
            parts.append(token_major(indices + self.offsets[g], weights, members))
            balance, z = balance + b, z + zl
            for e in range(self.offsets[g], self.offsets[g] + self.sizes[g]):
                expected[e] = members.numel() * indices.shape[1] / self.sizes[g]
        flat = tuple(torch.cat(p) for p in zip(*parts))
        caps = [capacity_of(self.factor, e) for e in expected]
        return run_experts(x, self.experts, flat, caps), balance, z


# ---------------------------------------------------------------------------------------------
# The multitask transformer (src/model/multitask_model.cpp)

class Block(nn.Module):
    def __init__(self, c, moe):
        super().__init__()
        d = c["d_model"]
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attention = MultiHeadAttention(d, c["heads"])
        self.moe = moe
        if moe is None:
            self.ff1, self.ff2 = nn.Linear(d, c["ffn_hidden"]), nn.Linear(c["ffn_hidden"], d)
        self.dropout = nn.Dropout(c["dropout"])

    def forward(self, x, slot_of_token):
        h = x + self.dropout(self.attention(self.norm1(x)))
        normed = self.norm2(h)
        if self.moe is None:
            return h + self.dropout(self.ff2(F.gelu(self.ff1(normed)))), None
        b, t, d = normed.shape
        fed, balance, z = self.moe(normed.reshape(b * t, d), slot_of_token)
        return h + self.dropout(fed.view(b, t, d)), (balance, z)


class MultitaskModel(nn.Module):
    def __init__(self, c, tasks, backbone):
        super().__init__()
        self.c, self.tasks = c, tasks
        self.task_slots, slot = [], 0
        for t in tasks:
            self.task_slots.append(list(range(slot, slot + len(t.shapes))))
            slot += len(t.shapes)
        self.tokenizers = nn.ModuleList(Tokenizer(s, c) for t in tasks for s in t.shapes)
        group_of_slot = list(range(slot))  # group_by = modality: one group per task/modality slot

        def ffn(i):
            if backbone == "dense" or (i + 1) % c["moe_every"]:
                return None
            return Sm4Moe(c, group_of_slot) if backbone == "sm4" else MoeFeedForward(c)
        self.blocks = nn.ModuleList(Block(c, ffn(i)) for i in range(c["layers"]))
        self.final_norm = nn.LayerNorm(c["d_model"])
        self.heads = nn.ModuleList(nn.Linear(c["d_model"], t.head_outputs) for t in tasks)
        self._slots = {}  # (task, batch) -> slot of every flattened token

    def forward(self, task, inputs):
        tokens = [self.tokenizers[s](x) for s, x in zip(self.task_slots[task], inputs)]
        x = torch.cat(tokens, 1)
        key = (task, x.shape[0])
        if key not in self._slots:
            ids = [torch.full((t.shape[1],), s) for s, t in zip(self.task_slots[task], tokens)]
            self._slots[key] = torch.cat(ids).repeat(x.shape[0])
        aux = x.new_zeros(())
        for block in self.blocks:
            x, losses = block(x, self._slots[key])
            if losses is not None and self.training:
                aux = aux + self.c["balance_loss_weight"] * losses[0] + self.c["router_z_loss_weight"] * losses[1]
        return self.heads[task](self.final_norm(x).mean(1)), aux


# ---------------------------------------------------------------------------------------------
# HighMMT's network (src/model/highmmt_network.cpp, highmmt_tokens.cpp, docs/highmmt.md)

class PerceiverAttention(nn.Module):
    def __init__(self, query_dim, context_dim, heads, head_dim):
        super().__init__()
        self.heads, self.head_dim, inner = heads, head_dim, heads * head_dim
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_kv = nn.Linear(context_dim, 2 * inner, bias=False)
        self.to_out = nn.Linear(inner, query_dim)

    def forward(self, x, context):
        b, lq, _ = x.shape
        h, hd = self.heads, self.head_dim
        q = self.to_q(x) * (1.0 / math.sqrt(hd))  # scale on the queries, not on the scores
        k, v = self.to_kv(context).chunk(2, dim=-1)
        q = q.view(b, lq, h, hd).transpose(1, 2)
        k = k.reshape(b, -1, h, hd).transpose(1, 2)
        v = v.reshape(b, -1, h, hd).transpose(1, 2)
        mixed = torch.softmax(q @ k.transpose(-2, -1), dim=-1) @ v
        return self.to_out(mixed.transpose(1, 2).reshape(b, lq, h * hd))


class Geglu(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.expand, self.contract = nn.Linear(dim, 2 * hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        value, gate = self.expand(x).chunk(2, dim=-1)
        return self.contract(value * F.gelu(gate))


class PerceiverLayer(nn.Module):
    def __init__(self, c, context_dim, heads, head_dim):
        super().__init__()
        d, hidden = c["latent_dim"], c["latent_dim"] * c["ff_mult"]
        self.norm_query, self.norm_context = nn.LayerNorm(d), nn.LayerNorm(context_dim)
        self.cross = PerceiverAttention(d, context_dim, heads, head_dim)
        self.norm_ff, self.ff = nn.LayerNorm(d), Geglu(d, hidden)
        self.norm_self = nn.LayerNorm(d)
        self.self_attn = PerceiverAttention(d, d, c["latent_heads"], c["latent_head_dim"])
        self.norm_self_ff, self.self_ff = nn.LayerNorm(d), Geglu(d, hidden)

    def forward(self, latents, context):
        x = self.cross(self.norm_query(latents), self.norm_context(context)) + latents
        x = self.ff(self.norm_ff(x)) + x
        normed = self.norm_self(x)
        y = self.self_attn(normed, normed) + x
        y = self.self_ff(self.norm_self_ff(y)) + y
        return y + x  # HighMMT's crossattnperceiver.py adds x a second time


def pixel_layout(shape):
    """Default token rule: (token grid axes, channels): pixels for [C,H,W], steps for [T,D], elements else."""
    if len(shape) == 3:
        return [shape[1], shape[2]], shape[0]
    if len(shape) == 2:
        return [shape[0]], shape[1]
    return list(shape), 1


def token_tail(axes, channels, width, codes, code, bands, max_freq):
    """[tokens, width - channels]: zero padding, per-axis sin(pi f p) x bands, cos x bands, p, one-hot."""
    freqs = 2.0 ** torch.linspace(1.0, math.log2(max_freq / 2.0), bands, dtype=torch.float64)
    grids = torch.meshgrid(*[torch.linspace(-1.0, 1.0, n, dtype=torch.float64) if n > 1
                             else torch.full((1,), -1.0, dtype=torch.float64) for n in axes], indexing="ij")
    per_axis = []
    for g in grids:
        p = g.reshape(-1, 1)
        per_axis += [torch.sin(math.pi * freqs * p), torch.cos(math.pi * freqs * p), p]
    fourier = torch.cat(per_axis, 1)
    n = fourier.shape[0]
    pad = torch.zeros(n, width - codes - channels - fourier.shape[1], dtype=torch.float64)
    return torch.cat([pad, fourier, F.one_hot(torch.full((n,), code), codes).double()], 1).float()


class HighMmtNetwork(nn.Module):
    def __init__(self, c, tasks):
        super().__init__()
        self.c, self.tasks = c, tasks
        layouts = [[pixel_layout(s) for s in t.shapes] for t in tasks]
        codes = sum(len(t.shapes) for t in tasks)  # one code per task/modality
        widest = max(ch + len(axes) * (2 * c["fourier_bands"] + 1) for ls in layouts for axes, ch in ls)
        width = widest + codes
        self.latents = nn.Parameter(torch.randn(c["latents"], c["latent_dim"]))
        self.unimodal = nn.ModuleList(PerceiverLayer(c, width, c["cross_heads"], c["cross_head_dim"])
                                      for _ in range(c["unimodal_depth"]))
        self.pairs = nn.ModuleList(PerceiverLayer(c, c["latent_dim"], c["pair_heads"], c["pair_head_dim"])
                                   for _ in range(c["cross_depth"]))
        head_width = [c["latent_dim"] * m * (m - 1) if m >= 2 else c["latents"] * c["latent_dim"]
                      for m in (len(t.shapes) for t in tasks)]
        self.head_norms = nn.ModuleList(nn.LayerNorm(w) for w in head_width)
        self.heads = nn.ModuleList(nn.Linear(w, t.head_outputs) for w, t in zip(head_width, tasks))
        self.tails, code = [], 0
        for ls in layouts:
            self.tails.append([])
            for axes, ch in ls:
                self.tails[-1].append(token_tail(axes, ch, width, codes, code, c["fourier_bands"], c["max_freq"]))
                code += 1

    def forward(self, task, inputs):
        b = inputs[0].shape[0]
        encoded = []
        for x, tail in zip(inputs, self.tails[task]):
            raw = x.flatten(2).transpose(1, 2) if x.dim() == 4 else (x if x.dim() == 3 else x.reshape(b, -1, 1))
            tokens = torch.cat([raw, tail.expand(b, -1, -1)], 2)
            z = self.latents.expand(b, -1, -1)
            for layer in self.unimodal:
                z = layer(z, tokens)
            encoded.append(z)
        m = len(encoded)
        if m >= 2:  # every ordered pair (i, j), i != j, as one batch; each pair gives its last latent
            pairs = [(i, j) for i in range(m) for j in range(m) if i != j]
            z = torch.cat([encoded[i] for i, _ in pairs])
            context = torch.cat([encoded[j] for _, j in pairs])
            for layer in self.pairs:
                z = layer(z, context)
            features = z[:, -1].view(len(pairs), b, -1).transpose(0, 1).reshape(b, -1)
        else:
            features = encoded[0].reshape(b, -1)  # single_modality = flatten
        return self.heads[task](self.head_norms[task](features)), inputs[0].new_zeros(())


# ---------------------------------------------------------------------------------------------
# Data, training step, CLI

def load_tasks(root, rows=None):
    """Train split of every task's canonical HDF5 file (datasets/FORMAT.md), values as stored (sm4
    applies no further normalisation); `rows`: only the first rows."""
    import h5py
    tasks, data = [], []
    for name in CONFIG["tasks"]:
        with h5py.File(os.path.join(root, name + ".h5"), "r") as f:
            train = f["train"]
            arrays = [torch.from_numpy(train[m][:rows]) for m in f.attrs["modalities"]]
            tasks.append(Task(name, f.attrs["task_type"], int(f.attrs["num_outputs"]), [a.shape[1:] for a in arrays]))
            data.append((arrays, torch.from_numpy(train["labels"][:rows])))
    return tasks, data


def synthetic_tasks(batch):
    tasks, data = [], []
    for name in CONFIG["tasks"]:
        kind, outputs, shapes = KNOWN_TASKS[name]
        tasks.append(Task(name, kind, outputs, shapes))
        data.append(([torch.rand(batch, *s) for s in shapes], torch.randint(2 if kind == "binary" else outputs, (batch,))))
    return tasks, data


def build(backbone, tasks):
    if backbone == "highmmt":
        return HighMmtNetwork(CONFIG, tasks)
    return MultitaskModel(CONFIG, tasks, backbone)


def train_step(model, optimizer, tasks, batches):
    """sm4's step: one batch of every task, task losses + weighted aux losses summed, one backward,
    global-norm clipping, AdamW. Returns the total and the task losses (tensors)."""
    optimizer.zero_grad()
    total, task_losses = 0.0, []
    for t, (inputs, labels) in enumerate(batches):
        outputs, aux = model(t, inputs)
        loss = tasks[t].loss(outputs, labels)
        task_losses.append(loss)
        total = total + loss + aux
    total.backward()
    if CONFIG["grad_clip"] > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), CONFIG["grad_clip"])
    optimizer.step()
    return total, task_losses


def learning_rate(step, total):
    """src/train/schedule.cpp: linear warm-up over warmup_fraction of the steps, then cosine."""
    lr, warmup = CONFIG["lr"], math.floor(CONFIG["warmup_fraction"] * total + 0.5)  # llround
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(total - warmup, 1)
    return lr * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def openblas():
    """The OpenBLAS PyTorch uses (Debian's torch calls the system BLAS), or None."""
    import ctypes
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "openblas" in line and ".so" in line})
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_num_threads()
            return lib
        except (OSError, AttributeError):
            continue
    return None


def timing(args, model, optimizer, tasks, data):
    """--warmup untimed steps, then --steps timed ones, on one fixed batch per task (as `sm4 bench
    --e2e`: it times the step, not the data pipeline)."""
    times = []
    for i in range(args.warmup + args.steps):
        start = time.perf_counter()
        train_step(model, optimizer, tasks, data)
        if i >= args.warmup:
            times.append(time.perf_counter() - start)
    median, mean = statistics.median(times), statistics.fmean(times)
    samples = len(tasks) * args.batch
    return dict(steps=args.steps, step_ms_median=1e3 * median, step_ms_mean=1e3 * mean,
                samples_per_s=samples / mean, samples_per_s_median=samples / median)


def losses(args, model, optimizer, tasks, data):
    """--losses K steps as `sm4 train` runs them: warm-up + cosine learning rate over the K steps,
    one batch of every task per step, each task's train split reshuffled every pass with the last
    partial batch skipped (src/train/batch_sampler.cpp; smaller tasks cycle). Reports the mean
    total loss of the last 10 steps (what sm4 logs as metrics total_loss at step K) and of every
    10-step window."""
    gen = torch.Generator().manual_seed(args.seed)
    perms, counters, totals, per_task = [None] * len(tasks), [0] * len(tasks), [], []
    for step in range(args.losses):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, args.losses)
        batches = []
        for t, (arrays, labels) in enumerate(data):
            n = min(args.batch, len(labels))
            per_pass = max(len(labels) // n, 1)
            if counters[t] % per_pass == 0:
                perms[t] = torch.randperm(len(labels), generator=gen)
            idx = perms[t][(counters[t] % per_pass) * n:][:n]
            counters[t] += 1
            batches.append(([a.index_select(0, idx) for a in arrays], labels.index_select(0, idx)))
        total, task_losses = train_step(model, optimizer, tasks, batches)
        totals.append(total.item())
        per_task.append([loss.item() for loss in task_losses])
    last = min(10, len(totals))
    return dict(steps=args.losses, seed=args.seed, total_loss_last10=statistics.fmean(totals[-last:]),
                task_loss_last10={task.name: statistics.fmean(r[t] for r in per_task[-last:])
                                  for t, task in enumerate(tasks)},
                total_loss_windows=[statistics.fmean(totals[i:i + 10]) for i in range(0, len(totals), 10)])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backbone", required=True, choices=["dense", "smoe", "sm4", "highmmt"])
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--data-root", default=os.environ.get("SM4_DATA_ROOT") or os.path.join(repo, "datasets"),
                    help="folder of <task>.h5 (default: $SM4_DATA_ROOT, else the repository's datasets/)")
    ap.add_argument("--synthetic", action="store_true", help="random tensors of the tasks' shapes instead of files")
    ap.add_argument("--batch", type=int, default=CONFIG["batch_size"], help="examples per task per step (64)")
    ap.add_argument("--warmup", type=int, default=30, help="untimed steps (30)")
    ap.add_argument("--steps", type=int, default=60, help="timed steps (60)")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads(N); 0: PyTorch's default")
    ap.add_argument("--blas-threads", type=int, default=0,
                    help="openblas_set_num_threads(N) (Debian's OpenBLAS has its own pthreads pool); 0: leave it")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--losses", type=int, default=0, metavar="K",
                    help="instead of timing, train K steps on the real data as sm4 train does and print the losses")
    ap.add_argument("--expect-params", type=int, default=None, metavar="N", help="exit 1 unless the model has N parameters")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = ap.parse_args()
    if args.losses and args.synthetic:
        ap.error("--losses trains on the real data; drop --synthetic")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    blas = openblas()
    if args.blas_threads > 0 and blas is not None:
        blas.openblas_set_num_threads(args.blas_threads)

    torch.manual_seed(args.seed)
    if args.synthetic:
        tasks, data = synthetic_tasks(args.batch)
    else:
        tasks, data = load_tasks(args.data_root, None if args.losses else args.batch)
    torch.manual_seed(args.seed)
    model = build(args.backbone, tasks)
    model.train()
    parameters = sum(p.numel() for p in model.parameters())
    if args.expect_params is not None and parameters != args.expect_params:
        print(f"sm4_peer: {args.backbone} has {parameters:,} parameters, expected {args.expect_params:,}", file=sys.stderr)
        sys.exit(1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=CONFIG["lr"], weight_decay=CONFIG["weight_decay"])
    result = dict(backbone=args.backbone, data="synthetic" if args.synthetic else "real", tasks=len(tasks),
                  batch_size=args.batch, parameters=parameters, torch_threads=torch.get_num_threads(),
                  blas_threads=blas.openblas_get_num_threads() if blas is not None else None,
                  torch_version=torch.__version__)
    result.update((losses if args.losses else timing)(args, model, optimizer, tasks, data))
    if args.json:
        print(json.dumps(result))
    elif args.losses:
        print(f"{args.backbone}: {parameters:,} parameters; mean total loss of the last 10 of {args.losses} steps: "
              f"{result['total_loss_last10']:.4f}")
        for name, value in result["task_loss_last10"].items():
            print(f"  {name:14s} {value:.4f}")
    else:
        print(f"{args.backbone} ({result['data']} data, {parameters:,} parameters, {result['torch_threads']} torch "
              f"threads, {result['blas_threads']} OpenBLAS threads): {result['samples_per_s']:.0f} samples/s, "
              f"step {result['step_ms_mean']:.1f} ms mean, {result['step_ms_median']:.1f} ms median")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Time HighMMT's own training step on minibench's shapes (the peer number for sm4's `highmmt`).

Builds pliang279/HighMMT's own `MultiModalityPerceiver`
(private_test_scripts/perceivers/crossattnperceiver.py) with the hyperparameters sm4's `highmmt`
backbone resolves to for experiments/minibench.toml, feeds it synthetic batches in HighMMT's own
input format, and times the training step of HighMMT's multitask loop
(private_test_scripts/perceivers/train_structure_multitask_robotics.py, lines 33-64; the same step
as train_structure_multitask.py's lines 44-85, which adds a per-example accuracy count and has one
criterion for all tasks): zero_grad; for every task in order, point `model.to_logits` at the
task's head, build the input dict (`.float().unsqueeze(-1).to(device)`, `requires_grad = True`
on every input), forward, the task's criterion, `losses += loss * train_weight`, `loss.item()`;
then ONE `losses.backward()` and ONE `optim.step()` (summed over tasks, not stepped per task).

Nothing of HighMMT is copied here: it is imported from the user's checkout (--highmmt-src) and
from the fork of perceiver-pytorch it imports (`perceiver-multi-modality-pytorch` 1.4.0,
fac2003/perceiver-multi-modality-pytorch; an installed `perceiver_pytorch` that has the fork's
`caching`/`modalities`/`common` modules, or --perceiver-src PATH to its checkout).

Adaptations (none edits a checkout; all are made from this script):
  * einops: when `import einops` fails (Debian has no python3-einops), a stand-in module is put in
    sys.modules that implements exactly the six patterns HighMMT's forward and the fork's
    Attention use, with the reshape/permute/expand einops itself does; any other pattern raises.
  * torch.meshgrid's "indexing argument" UserWarning (torch >= 1.10) is silenced; HighMMT's
    default 'ij' indexing is unchanged.
  * Devices: HighMMT's scripts hard-code `device='cuda:N'` in the group script (not in the model
    or the loop); this driver passes --device (default cpu) where they pass theirs. No `.cuda()`
    call is reached on this path, so no patch is needed for CPU.
  * Threads: --threads N also sets OpenBLAS's own pool (openblas_set_num_threads through ctypes),
    since Debian's torch does its matrix products in openblas-pthread, which torch.set_num_threads
    does not bound (sm4 sets both). Without --threads both keep their defaults (here: torch 1 thread,
    OpenBLAS one per core).
  * Data: synthetic batches (torch.rand inputs, random labels) replace HighMMT's data loaders.

Run:  /usr/bin/python3 bench/peer/highmmt_upstream.py --highmmt-src /tmp/highmmt-src \
          --perceiver-src /tmp/pmm-src --warmup 10 --steps 30 --threads 1 [--json]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import types
import warnings

import torch
from torch import nn

# --------------------------------------------------------------------------------------------
# minibench (src/bench/e2e_bench.cpp known_task) and sm4's highmmt config for it
# (`sm4 config -c experiments/minibench.toml --set model.backbone=highmmt`).
# --------------------------------------------------------------------------------------------
# Each modality: (sm4 slot, example shape as sm4 stores it, sm4 token rule). sm4's rules:
#   pixels [C,H,W] -> H*W tokens of C channels, axes (H, W): HighMMT's HWC image input
#   elements [N]  -> N tokens of 1 channel, one axis: HighMMT's `unsqueeze(-1)` (MIMIC static)
TASKS = [
    # name, kind, outputs, modalities
    ("fashion-mnist", "multiclass", 10, [("fashion-mnist/image", (1, 28, 28), "pixels")]),
    ("digits-av", "multiclass", 10, [("digits-av/image", (1, 8, 8), "pixels"),
                                     ("digits-av/audio", (1, 32, 32), "pixels")]),
    ("breast-cancer", "binary", 1, [("breast-cancer/features", (30,), "elements")]),
    ("wine", "multiclass", 3, [("wine/features", (13,), "elements")]),
]

SM4 = dict(  # model.* keys sm4 resolves for minibench with backbone=highmmt
    latents=20, latent_dim=64, cross_heads=1, cross_head_dim=64, latent_heads=8,
    latent_head_dim=64, pair_heads=4, pair_head_dim=64, ff_mult=4, unimodal_depth=1,
    cross_depth=2, fourier_bands=8, max_freq=1.0, single_modality="flatten",
    lr=2e-3, weight_decay=0.01, batch_size=64,
)


def install_einops_standin():
    """The six einops patterns HighMMT's crossattnperceiver.py and the fork's Attention use."""
    try:
        import einops  # noqa: F401
        return False
    except ImportError:
        pass

    def rearrange(t, pattern, **axes):
        if pattern == '... n d -> ... (n d)':
            return t.reshape(*t.shape[:-2], t.shape[-2] * t.shape[-1])
        if pattern == 'b ... d -> b (...) d':
            return t.reshape(t.shape[0], -1, t.shape[-1])
        if pattern == 'b n (h d) -> (b h) n d':
            h = axes['h']
            b, n, hd = t.shape
            return t.reshape(b, n, h, hd // h).permute(0, 2, 1, 3).reshape(b * h, n, hd // h)
        if pattern == '(b h) n d -> b n (h d)':
            h = axes['h']
            bh, n, d = t.shape
            return t.reshape(bh // h, h, n, d).permute(0, 2, 1, 3).reshape(bh // h, n, h * d)
        raise NotImplementedError(f"einops stand-in: rearrange pattern {pattern!r}")

    def repeat(t, pattern, **axes):
        if pattern == '... -> b ...':
            return t.unsqueeze(0).expand(axes['b'], *t.shape)
        if pattern == 'n d -> b n d':
            return t.unsqueeze(0).expand(axes['b'], *t.shape)
        raise NotImplementedError(f"einops stand-in: repeat pattern {pattern!r}")

    module = types.ModuleType('einops')
    module.rearrange = rearrange
    module.repeat = repeat
    module.__version__ = 'stand-in (bench/peer/highmmt_upstream.py)'
    sys.modules['einops'] = module
    return True


def import_highmmt(highmmt_src, perceiver_src):
    highmmt_src = os.path.abspath(highmmt_src)
    if not os.path.isfile(os.path.join(highmmt_src, 'private_test_scripts', 'perceivers',
                                       'crossattnperceiver.py')):
        sys.exit(f"--highmmt-src {highmmt_src}: no private_test_scripts/perceivers/crossattnperceiver.py")
    if perceiver_src:
        sys.path.insert(0, os.path.abspath(perceiver_src))
    try:
        import perceiver_pytorch.caching  # noqa: F401  (only the multi-modality fork has it)
        import perceiver_pytorch.common  # noqa: F401
    except ImportError as e:
        sys.exit("HighMMT imports the multi-modality fork of perceiver-pytorch "
                 "(perceiver-multi-modality-pytorch 1.4.0); install it or pass --perceiver-src "
                 f"PATH to a checkout of fac2003/perceiver-multi-modality-pytorch ({e})")
    sys.path.insert(1, highmmt_src)  # as HighMMT's scripts do with os.getcwd()
    from private_test_scripts.perceivers.crossattnperceiver import MultiModalityPerceiver, InputModality
    return MultiModalityPerceiver, InputModality


def openblas_threads(n=None):
    """Debian's torch does its matrix products in OpenBLAS (openblas-pthread), whose own thread pool
    torch.set_num_threads does not bound. Set it to n (when given) and return its thread count, or
    None where no OpenBLAS is loaded."""
    import ctypes
    try:
        with open('/proc/self/maps') as f:
            paths = sorted({line.split()[-1] for line in f
                            if 'blas' in line.split()[-1] and '.so' in line.split()[-1]})
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
            get, set_ = lib.openblas_get_num_threads, lib.openblas_set_num_threads
        except (OSError, AttributeError):
            continue
        if n is not None:
            set_(int(n))
        return int(get())
    return None


def git_commit(path):
    try:
        return subprocess.run(['git', '-C', path, 'rev-parse', 'HEAD'], capture_output=True,
                              text=True, check=True).stdout.strip() or None
    except Exception:
        return None


def highmmt_shape(shape, rule):
    """(input_axis, input_channels, per-example tensor shape before HighMMT's unsqueeze(-1))."""
    if rule == 'pixels':  # [C,H,W] -> HWC; C == 1 here, so [H, W] then unsqueeze(-1)
        c, h, w = shape
        assert c == 1, "minibench's images have one channel"
        return 2, c, (h, w)
    if rule == 'elements':  # [N] -> [N] then unsqueeze(-1): N tokens of 1 channel
        return len(shape), 1, tuple(shape)
    raise ValueError(rule)


def build(MultiModalityPerceiver, InputModality, device):
    modalities, per_task = [], []
    for _name, _kind, _outputs, mods in TASKS:
        names = []
        for slot, shape, rule in mods:
            axis, channels, _ = highmmt_shape(shape, rule)
            modalities.append(InputModality(name=slot, input_channels=channels, input_axis=axis,
                                            num_freq_bands=SM4['fourier_bands'],
                                            max_freq=SM4['max_freq']))
            names.append(slot)
        per_task.append(names)
    # Constructor arguments as HighMMT's group scripts pass them (roboticstasks.py: depth 1,
    # weight_tie_layers True, num_latent_blocks_per_layer 1, no dropout, cross_depth and
    # cross_cross_heads left at 2 and 4), with sm4's model.* values for minibench.
    model = MultiModalityPerceiver(
        modalities=tuple(modalities),
        depth=SM4['unimodal_depth'],
        num_latents=SM4['latents'],
        latent_dim=SM4['latent_dim'],
        cross_heads=SM4['cross_heads'],
        latent_heads=SM4['latent_heads'],
        cross_dim_head=SM4['cross_head_dim'],    # also the pair heads' width in HighMMT
        latent_dim_head=SM4['latent_head_dim'],
        num_classes=2,                           # the unused default head, as the scripts pass it
        attn_dropout=0.,
        ff_dropout=0.,
        weight_tie_layers=True,
        num_latent_blocks_per_layer=1,
        cross_depth=SM4['cross_depth'],
        cross_cross_heads=SM4['pair_heads'],
    ).to(device)
    assert SM4['pair_head_dim'] == SM4['cross_head_dim'], "HighMMT has one head width for both"
    # Heads as HighMMT's scripts build them: LayerNorm + Linear over the concatenated pair
    # outputs (latent_dim per ordered pair), or the flattened latent array for one modality
    # (crossattnperceiver.py:250-251).
    heads = []
    for (_name, _kind, outputs, mods) in TASKS:
        m = len(mods)
        width = SM4['latent_dim'] * m * (m - 1) if m > 1 else SM4['latents'] * SM4['latent_dim']
        heads.append(nn.Sequential(nn.LayerNorm(width), nn.Linear(width, outputs)))
    model.to_logitslist = nn.ModuleList(heads).to(device)
    return model, per_task


def batches(per_task, batch_size, device, seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for (name, kind, outputs, mods), names in zip(TASKS, per_task):
        xs = []
        for slot, shape, rule in mods:
            _, _, hshape = highmmt_shape(shape, rule)
            xs.append(torch.rand((batch_size,) + hshape, generator=g))
        if kind == 'binary':  # one logit with BCEWithLogitsLoss, as roboticstasks.py's V&T head
            y = torch.randint(0, 2, (batch_size, 1), generator=g).float()
        else:
            y = torch.randint(0, outputs, (batch_size,), generator=g)
        out.append(xs + [y])  # HighMMT's batches: [modality tensors..., label]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--highmmt-src', required=True, help="checkout of pliang279/HighMMT (imported, never copied)")
    ap.add_argument('--perceiver-src', default=None,
                    help="checkout of fac2003/perceiver-multi-modality-pytorch (if the fork is not installed)")
    ap.add_argument('--warmup', type=int, default=10)
    ap.add_argument('--steps', type=int, default=30)
    ap.add_argument('--threads', type=int, default=0,
                    help="torch.set_num_threads and OpenBLAS's threads (0: both left at their defaults)")
    ap.add_argument('--batch-size', type=int, default=SM4['batch_size'], help="examples per task per step")
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--no-input-grad', action='store_true',
                    help="ablation: skip HighMMT's requires_grad=True on the inputs (sm4 does not compute them)")
    ap.add_argument('--json', action='store_true')
    args = ap.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    blas_threads = openblas_threads(args.threads if args.threads > 0 else None)
    warnings.filterwarnings('ignore', message='torch.meshgrid')
    standin = install_einops_standin()
    MultiModalityPerceiver, InputModality = import_highmmt(args.highmmt_src, args.perceiver_src)

    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    model, modalities = build(MultiModalityPerceiver, InputModality, device)
    model.train()
    # HighMMT's loop makes the optimizer first, from model.parameters() (which then still holds the
    # constructor's unused to_logits), and only then points to_logits at the task heads.
    constructed = sum(p.numel() for p in model.parameters())
    optim = torch.optim.Adam(model.parameters(), lr=SM4['lr'], weight_decay=SM4['weight_decay'])
    model.to_logits = model.to_logitslist[0]
    used = sum(p.numel() for p in model.parameters())

    criterions = [nn.BCEWithLogitsLoss() if kind == 'binary' else nn.CrossEntropyLoss()
                  for _n, kind, _o, _m in TASKS]
    is_classification = [kind != 'binary' for _n, kind, _o, _m in TASKS]
    unsqueezing = [True] * len(TASKS)
    train_weights = [1.0] * len(TASKS)
    # One step's batches, keyed as HighMMT's loop keys them (fulltrains[count][str(i)]).
    js = {str(i): b for i, b in enumerate(batches(modalities, args.batch_size, device, args.seed))}
    totalloss = [0.0] * len(TASKS)
    totals = [0] * len(TASKS)

    def step():
        # train_structure_multitask_robotics.py:34-64, with `device`, `modalities`, ... as above.
        optim.zero_grad()
        losses = 0.0
        for ii in js:
            model.to_logits = model.to_logitslist[int(ii)]
            indict = {}
            for i in range(len(modalities[int(ii)])):
                if unsqueezing[int(ii)]:
                    indict[modalities[int(ii)][i]] = js[ii][i].float().unsqueeze(-1).to(device)
                else:
                    indict[modalities[int(ii)][i]] = js[ii][i].float().to(device)
            if not args.no_input_grad:
                for mod in indict:
                    indict[mod].requires_grad = True
            out = model(indict)
            if is_classification[int(ii)]:
                loss = criterions[int(ii)](out, js[ii][-1].long().to(device))
            else:
                loss = criterions[int(ii)](out, js[ii][-1].to(device))
            losses += loss * train_weights[int(ii)]
            total = len(js[ii][0])
            totals[int(ii)] += total
            totalloss[int(ii)] += loss.item() * total
        losses.backward()
        optim.step()

    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    sync()
    times, cpu_times = [], []
    for _ in range(args.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        sync()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)

    samples = args.batch_size * len(TASKS)
    median = statistics.median(times)
    tokens = {}
    for (_n, _k, _o, mods) in TASKS:
        for slot, shape, rule in mods:
            _, _, hshape = highmmt_shape(shape, rule)
            n = 1
            for d in hshape:
                n *= d
            tokens[slot] = n
    notes = ("HighMMT's own MultiModalityPerceiver (crossattnperceiver.py) and its multitask step "
             "(train_structure_multitask_robotics.py:34-64): per-task forward + loss summed, one "
             "backward, one Adam step per step; inputs get requires_grad=True"
             + (" (disabled: --no-input-grad)" if args.no_input_grad else "")
             + "; fork's Attention checkpoints both einsums (recomputed in backward)"
             + ("; einops stand-in" if standin else "")
             + f"; token width {model.max_modality_dim}; parameters_constructed counts the "
             "constructor's unused to_logits")
    result = {
        'impl': 'highmmt-upstream',
        'samples_per_s': samples / median,
        'samples_per_s_mean': samples / statistics.mean(times),
        'step_ms_median': median * 1e3,
        'step_ms_mean': statistics.mean(times) * 1e3,
        'step_ms_min': min(times) * 1e3,
        # CPU seconds of the whole process per step (all threads): at --threads 1 on a loaded
        # machine this is steadier than the wall clock.
        'step_cpu_ms_median': statistics.median(cpu_times) * 1e3,
        'samples_per_cpu_s': samples / statistics.median(cpu_times),
        'parameters': used,
        'parameters_constructed': constructed,
        'torch_threads': torch.get_num_threads(),
        'blas_threads': blas_threads,
        'torch_version': torch.__version__,
        'device': str(device),
        'tasks': [t[0] for t in TASKS],
        'batch_size': args.batch_size,
        'samples_per_step': samples,
        'warmup': args.warmup,
        'steps': args.steps,
        'token_width': model.max_modality_dim,
        'tokens': tokens,
        'highmmt_commit': git_commit(args.highmmt_src),
        'mean_train_losses': {t[0]: (totalloss[i] / totals[i] if totals[i] else None) for i, t in enumerate(TASKS)},
        'notes': notes,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"highmmt-upstream: {result['samples_per_s']:.1f} samples/s "
          f"(median step {result['step_ms_median']:.1f} ms, mean {result['step_ms_mean']:.1f} ms, "
          f"{samples} samples/step = {len(TASKS)} tasks x {args.batch_size})")
    print(f"CPU time per step (process, all threads): median {result['step_cpu_ms_median']:.1f} ms "
          f"= {result['samples_per_cpu_s']:.1f} samples per CPU-second")
    print(f"parameters: {used:,} used ({constructed:,} constructed, incl. the unused to_logits)")
    print(f"torch {torch.__version__}, {result['torch_threads']} threads (OpenBLAS {blas_threads}), device {device}")
    print(f"token width {model.max_modality_dim}; tokens per modality: "
          + ", ".join(f"{k} {v}" for k, v in tokens.items()))
    print(f"notes: {notes}")


if __name__ == '__main__':
    main()

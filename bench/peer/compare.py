#!/usr/bin/python3
"""sm4 against the same models in Python PyTorch, side by side, in one interleaved run.

Each round times, for every backbone: `sm4 bench --e2e-only` (one row), the Python peer
(bench/peer/sm4_peer.py) at PyTorch's default threads, at one OpenMP thread, and at one OpenMP
and one OpenBLAS thread, and, with
--highmmt-src, HighMMT's own code (bench/peer/highmmt_upstream.py) for the highmmt backbone.
Rounds interleave the candidates, so load from other processes hits all of them alike; the
table shows medians (and ranges) over the rounds and sm4's ratio to the peer at its best.

    /usr/bin/python3 bench/peer/compare.py [--rounds 3] [--steps 60] [--warmup 30]
        [--backbone dense --backbone smoe ...] [--highmmt-src /path/to/HighMMT --perceiver-src /path/to/fork]
        [--json]

Needs Debian's python3-torch, python3-h5py and a built ./build/sm4; run from the repository root.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BACKBONES = ["dense", "smoe", "sm4", "highmmt"]


def run_json(command, env=None):
    """Runs a command that prints one JSON object as its last stdout line; returns it."""
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"compare: {' '.join(command)} failed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def sm4_row(args, backbone):
    out = run_json([args.sm4, "bench", "--e2e-only", "--e2e-config", args.config, "--e2e-backbone", backbone,
                    "--e2e-steps", str(args.steps), "--e2e-warmup", str(args.warmup), "--json"])
    row = out["e2e"][0]
    return {"samples_per_s": row["samples_per_s"], "parameters": row["parameters"], "data": row["data"],
            "rss_peak_mb": row.get("rss_peak_mb")}


# The peer's thread settings: PyTorch's default; one OpenMP thread (OpenBLAS's own pthreads pool,
# which set_num_threads does not touch, at its default); one of each.
PEER_SETTINGS = {"peer": [], "peer1": ["--threads", "1"], "peer11": ["--threads", "1", "--blas-threads", "1"]}


def peer_row(args, backbone, setting):
    command = [sys.executable, os.path.join(HERE, "sm4_peer.py"), "--backbone", backbone, "--steps", str(args.steps),
               "--warmup", str(args.warmup), "--json"] + PEER_SETTINGS[setting]
    return run_json(command)


def upstream_row(args, threads):
    command = [sys.executable, os.path.join(HERE, "highmmt_upstream.py"), "--highmmt-src", args.highmmt_src,
               "--steps", str(args.steps), "--warmup", str(min(args.warmup, 10)), "--json"]
    if args.perceiver_src:
        command += ["--perceiver-src", args.perceiver_src]
    if threads:
        command += ["--threads", str(threads)]
    return run_json(command)


def spread(values):
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})" if values else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sm4", default="./build/sm4")
    parser.add_argument("--config", default="minibench")
    parser.add_argument("--backbone", action="append", choices=BACKBONES)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--highmmt-src", help="a checkout of pliang279/HighMMT (its code is imported from there)")
    parser.add_argument("--perceiver-src", help="a checkout of the perceiver-pytorch fork HighMMT imports "
                        "(bench/peer/HIGHMMT.md)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    backbones = args.backbone or BACKBONES

    samples = {b: {"sm4": [], "peer": [], "peer1": [], "peer11": [], "upstream": [], "upstream1": []} for b in backbones}
    parameters = {}
    for r in range(args.rounds):
        for b in backbones:
            s = sm4_row(args, b)
            samples[b]["sm4"].append(s["samples_per_s"])
            p = peer_row(args, b, "peer")
            samples[b]["peer"].append(p["samples_per_s"])
            p1 = peer_row(args, b, "peer1")
            samples[b]["peer1"].append(p1["samples_per_s"])
            p11 = peer_row(args, b, "peer11")
            samples[b]["peer11"].append(p11["samples_per_s"])
            parameters[b] = (s["parameters"], p["parameters"], s["data"])
            if b == "highmmt" and args.highmmt_src:
                samples[b]["upstream"].append(upstream_row(args, 0)["samples_per_s"])
                samples[b]["upstream1"].append(upstream_row(args, 1)["samples_per_s"])
            print(f"round {r + 1}/{args.rounds} {b}: sm4 {s['samples_per_s']:,.0f}, peer {p['samples_per_s']:,.0f}, "
                  f"peer 1 thread {p1['samples_per_s']:,.0f}, peer 1+1 {p11['samples_per_s']:,.0f} samples/s",
                  file=sys.stderr)

    rows = []
    for b in backbones:
        c = samples[b]
        best_peer = max(statistics.median(c[k]) for k in PEER_SETTINGS)
        row = {"backbone": b, "data": parameters[b][2], "parameters_sm4": parameters[b][0],
               "parameters_peer": parameters[b][1], "sm4": statistics.median(c["sm4"]),
               "peer_default": statistics.median(c["peer"]), "peer_one_thread": statistics.median(c["peer1"]),
               "peer_one_thread_one_blas": statistics.median(c["peer11"]),
               "ratio_to_peer_best": statistics.median(c["sm4"]) / best_peer}
        if c["upstream"]:
            best_upstream = max(statistics.median(c["upstream"]), statistics.median(c["upstream1"]))
            row["highmmt_upstream"] = best_upstream
            row["ratio_to_upstream"] = statistics.median(c["sm4"]) / best_upstream
        rows.append((row, c))
    if args.json:
        print(json.dumps({"config": args.config, "rounds": args.rounds, "steps": args.steps,
                          "load": open("/proc/loadavg").read().split()[:3], "rows": [r for r, _ in rows]}))
        return
    print(f"{args.config}: samples/s, median (range) of {args.rounds} interleaved rounds, {args.steps} timed steps "
          f"after {args.warmup}; load {' '.join(open('/proc/loadavg').read().split()[:3])}")
    header = ["backbone", "params sm4/peer", "sm4", "peer (default threads)", "peer (1 OpenMP)",
              "peer (1 OpenMP, 1 OpenBLAS)", "sm4 / peer best"]
    if args.highmmt_src:
        header += ["HighMMT code (best)", "sm4 / HighMMT"]
    print(" | ".join(header))
    for row, c in rows:
        line = [row["backbone"], f"{row['parameters_sm4']:,}/{row['parameters_peer']:,}", spread(c["sm4"]),
                spread(c["peer"]), spread(c["peer1"]), spread(c["peer11"]), f"{row['ratio_to_peer_best']:.2f}x"]
        if args.highmmt_src:
            line += [f"{row['highmmt_upstream']:,.0f}" if "highmmt_upstream" in row else "-",
                     f"{row['ratio_to_upstream']:.2f}x" if "ratio_to_upstream" in row else "-"]
        print(" | ".join(line))


if __name__ == "__main__":
    main()

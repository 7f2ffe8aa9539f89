#!/usr/bin/python3
"""Checks, with h5py (the reader users' scripts use), that a file follows datasets/FORMAT.md.

Usage: check_dataset_layout.py FILE [--task NAME] [--examples N] [--per-class C0,C1,...]
                               [--shape MODALITY=D1xD2x...]...
Prints "layout ok" and exits 0, or prints the first broken rule and exits 1.
"""
import argparse
import sys

import h5py
import numpy as np


def fail(message):
    print(f"layout broken: {message}")
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--task")
    parser.add_argument("--examples", type=int)
    parser.add_argument("--per-class")
    parser.add_argument("--shape", action="append", default=[])
    args = parser.parse_args()

    f = h5py.File(args.file, "r")
    a = f.attrs
    check(a.get("sm4_format") == "sm4-dataset", "root attribute sm4_format")
    check(int(a.get("format_version", -1)) == 1, "root attribute format_version")
    check(isinstance(a.get("task"), str) and a["task"], "root attribute task")
    if args.task:
        check(a["task"] == args.task, f"task is {a['task']}")
    task_type = a.get("task_type")
    check(task_type in ("classification", "binary", "regression", "multilabel"), "root attribute task_type")
    num_outputs = int(a["num_outputs"])
    check(num_outputs >= 1, "num_outputs")
    check(isinstance(a.get("source"), str), "root attribute source")
    modalities = list(a["modalities"])
    check(len(modalities) >= 1, "modalities attribute")

    labels = []
    for split in ("train", "val", "test"):
        check(split in f, f"group {split}")
        g = f[split]
        members = list(g.keys())
        check(members == modalities + ["labels"], f"/{split} holds {members}, expected {modalities + ['labels']}")
        n = g["labels"].shape[0]
        for m in modalities:
            d = g[m]
            check(d.dtype == np.float32, f"/{split}/{m} dtype {d.dtype}")
            check(d.shape[0] == n, f"/{split}/{m} has {d.shape[0]} rows for {n} labels")
            check(d.shape[1:] == f["train"][m].shape[1:], f"/{split}/{m} shape differs from train")
            kind = d.attrs.get("kind")
            check(isinstance(kind, str) and kind, f"/{split}/{m} attribute kind")
            values = d[()]
            check(np.isfinite(values).all(), f"/{split}/{m} has non-finite values")
            if kind == "image" and d.attrs.get("normalization") == "none":
                check(values.min() >= 0 and values.max() <= 1, f"/{split}/{m} image outside [0, 1]")
        y = g["labels"]
        if task_type in ("classification", "binary"):
            check(y.dtype == np.int64 and y.ndim == 1, f"/{split}/labels must be int64 [N]")
            values = y[()]
            check(((values >= 0) & (values < num_outputs)).all(), f"/{split}/labels out of range")
            labels.append(values)
        else:
            check(y.dtype == np.float32 and y.shape[1:] == (num_outputs,), f"/{split}/labels must be float32 [N, D]")

    for m in modalities:
        if "normalization" in f and m in f["normalization"]:
            stats = f["normalization"][m]
            check(stats["mean"].shape == stats["std"].shape, f"/normalization/{m} mean and std shapes")
            check(int(stats.attrs["applied"]) == (f["train"][m].attrs["normalization"] == "zscore"),
                  f"/normalization/{m} applied flag disagrees with the data")

    for spec in args.shape:
        name, dims = spec.split("=")
        expected = tuple(int(x) for x in dims.split("x"))
        check(f["train"][name].shape[1:] == expected, f"{name} example shape {f['train'][name].shape[1:]}")
    if labels:
        everything = np.concatenate(labels)
        if args.examples is not None:
            check(len(everything) == args.examples, f"{len(everything)} examples, expected {args.examples}")
        if args.per_class:
            expected = [int(x) for x in args.per_class.split(",")]
            counts = np.bincount(everything, minlength=num_outputs).tolist()
            check(counts == expected, f"class counts {counts}, expected {expected}")
    print("layout ok")


if __name__ == "__main__":
    main()

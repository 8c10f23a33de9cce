#!/usr/bin/env python3
"""Prints the FID Inception-v3 layer table (markdown) that README.md holds, traced from fid_inception.py at 299 x 299:
every convolution, pool and concatenation in execution order with kernel, stride, padding, channels and sizes.

    /usr/bin/python3 bench/inception/arch_table.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fid_inception import (TRUNK, BasicConv, FidInceptionV3, MixedA, MixedC, MixedE,  # noqa: E402
                           ReductionB, ReductionD)


def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def fmt(t):
    return f"{t[0]}x{t[1]}"


def main():
    m = FidInceptionV3().double()
    rows = []
    shapes = {}

    def hook(name):
        def h(module, inp, out):
            shapes[name] = (tuple(inp[0].shape[1:]), tuple(out.shape[1:]))
        return h

    for name, mod in m.named_modules():
        if isinstance(mod, BasicConv) or name in TRUNK:
            mod.register_forward_hook(hook(name))
    with torch.no_grad():
        m.trunk(torch.zeros(1, 3, 299, 299, dtype=torch.float64))

    def conv_row(name):
        conv = m.get_submodule(name).conv
        (ci, hi, wi), (co, ho, wo) = shapes[name]
        rows.append(f"| `{name}` | conv+BN+ReLU | {fmt(pair(conv.kernel_size))} | {pair(conv.stride)[0]} | "
                    f"{fmt(pair(conv.padding))} | {ci} -> {co} | {hi}x{wi} -> {ho}x{wo} |")

    def pool_row(label, kind, k, s, p, c, hin):
        hout = (hin + 2 * p - k) // s + 1
        rows.append(f"| {label} | {kind} | {k}x{k} | {s} | {p}x{p} | {c} -> {c} | {hin}x{hin} -> {hout}x{hout} |")

    for stage in TRUNK:
        if stage.startswith("maxpool"):
            prev = TRUNK[TRUNK.index(stage) - 1]
            c, h, _ = shapes[prev][1]
            pool_row(f"{stage}", "max pool", 3, 2, 0, c, h)
            continue
        block = getattr(m, stage)
        if isinstance(block, BasicConv):
            conv_row(stage)
            continue
        (cin, h, _), (cout, ho, _) = shapes[stage]
        convs = [f"{stage}.{n}" for n, mod in block.named_children() if isinstance(mod, BasicConv)]
        if isinstance(block, (ReductionB, ReductionD)):
            for n in convs:
                conv_row(n)
            pool_row(f"{stage} pool", "max pool", 3, 2, 0, cin, h)
            last = [f"{stage}.branch3x3", f"{stage}.branch3x3dbl_3"] if isinstance(block, ReductionB) else \
                [f"{stage}.branch3x3_2", f"{stage}.branch7x7x3_4"]
            parts = [shapes[n][1][0] for n in last] + [cin]
        else:
            for n in convs:
                if n.endswith("branch_pool"):
                    if isinstance(block, MixedE) and block.pool == "max":
                        pool_row(f"{stage} pool", "**max** pool", 3, 1, 1, cin, h)
                    else:
                        pool_row(f"{stage} pool", "avg pool, **padding excluded**", 3, 1, 1, cin, h)
                conv_row(n)
            if isinstance(block, MixedA):
                parts = [64, 64, 96, shapes[f"{stage}.branch_pool"][1][0]]
            elif isinstance(block, MixedC):
                parts = [192, 192, 192, 192]
            else:
                parts = [320, "(384 + 384)", "(384 + 384)", 192]
        total = sum(p if isinstance(p, int) else 768 for p in parts)
        assert total == cout, stage
        rows.append(f"| {stage} | concat | | | | {' + '.join(str(p) for p in parts)} = {total} | {ho}x{ho} |")
    rows.append("| pool3 | adaptive avg pool to 1x1 (mean of the 8x8 map) | 8x8 | | | 2048 -> 2048 | 8x8 -> 1x1 |")
    print("| layer | op | kernel (h x w) | stride | padding (h x w) | channels | spatial |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Golden values for InceptionLayersGoldenTest: the Inception-v3 building blocks run by PyTorch on small inputs.

    /usr/bin/python3 bench/pytorch/layers_golden.py [--out FILE]

Default output: src/test/resources/dev/sparring/nn/layers-golden.json (about 25 KB). Needs torch (1.13 was used), nothing
else. Each case holds its inputs, the forward output and, where PyTorch's backward is deterministic on the CPU, the
input gradient of sum(r * y) for a given r. Inputs are rounded to multiples of 1/8 so that float32 reads them exactly;
the max-pool input has ties, so that the rule for equal maxima (the first one, row by row) is pinned to PyTorch's CPU.
Cases (x is (N, C, H, W), all float32 on the CPU):
    conv1x7     F.conv2d(x, w, b, padding=(0, 3)),  w (3, 2, 1, 7)
    conv7x1s    F.conv2d(x, w, None, stride=(2, 1), padding=(3, 0)),  w (2, 2, 7, 1)
    maxpool_s2  F.max_pool2d(x, 3, stride=2)                             (Mixed_6a, Mixed_7a, the stem)
    maxpool_p1  F.max_pool2d(x, 3, stride=1, padding=1)                  (pytorch-fid's FIDInceptionE_2)
    avgpool_ex  F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)   (FIDInceptionA, C, E_1)
    avgpool_in  F.avg_pool2d(x, 3, stride=1, padding=1)                  (torchvision's blocks: count_include_pad=True)
    gap         F.adaptive_avg_pool2d(x, (1, 1))
    resize_up   F.interpolate(x, size=(11, 7), mode='bilinear', align_corners=False)
    resize_down F.interpolate(x, size=(3, 4), mode='bilinear', align_corners=False)
"""
import argparse
import json
import os

import torch
import torch.nn.functional as F


def q(t):
    return torch.round(t * 8) / 8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                  "src/test/resources/dev/sparring/nn/layers-golden.json"))
    args = ap.parse_args()
    g = torch.Generator().manual_seed(7)

    def randn(*shape):
        return q(torch.randn(*shape, generator=g))

    cases = {}

    def case(name, fn, x, params=(), grad=True):
        x = x.clone().requires_grad_(grad)
        y = fn(x, *params)
        entry = {"x": x.detach().flatten().tolist(), "x_shape": list(x.shape),
                 "y": y.detach().flatten().tolist(), "y_shape": list(y.shape)}
        for i, p in enumerate(params):
            if p is not None:
                entry["p%d" % i] = p.flatten().tolist()
                entry["p%d_shape" % i] = list(p.shape)
        if grad:
            r = randn(*y.shape)
            (y * r).sum().backward()
            entry["r"] = r.flatten().tolist()
            entry["dx"] = x.grad.flatten().tolist()
        cases[name] = entry

    case("conv1x7", lambda x, w, b: F.conv2d(x, w, b, padding=(0, 3)), randn(2, 2, 3, 5), (randn(3, 2, 1, 7), randn(3)))
    case("conv7x1s", lambda x, w: F.conv2d(x, w, None, stride=(2, 1), padding=(3, 0)), randn(1, 2, 6, 4), (randn(2, 2, 7, 1),))
    # ties: values on a coarse grid, so that windows hold equal maxima
    tied = torch.round(torch.randn(2, 2, 7, 6, generator=g) * 1.5)
    case("maxpool_s2", lambda x: F.max_pool2d(x, 3, stride=2), tied)
    case("maxpool_p1", lambda x: F.max_pool2d(x, 3, stride=1, padding=1), tied)
    case("avgpool_ex", lambda x: F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False), randn(2, 2, 5, 4))
    case("avgpool_in", lambda x: F.avg_pool2d(x, 3, stride=1, padding=1), randn(1, 2, 4, 5))
    case("gap", lambda x: F.adaptive_avg_pool2d(x, (1, 1)), randn(2, 3, 5, 4))
    case("resize_up", lambda x: F.interpolate(x, size=(11, 7), mode="bilinear", align_corners=False), randn(1, 2, 5, 3))
    case("resize_down", lambda x: F.interpolate(x, size=(3, 4), mode="bilinear", align_corners=False), randn(2, 1, 8, 9))

    with open(args.out, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.normpath(args.out), len(cases), "cases")


if __name__ == "__main__":
    main()

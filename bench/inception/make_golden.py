#!/usr/bin/env python3
"""Golden file for Sparring's FID Inception-v3: images, their pool3 features under the formula weights, and per-stage
statistics, computed by the PyTorch reference (fid_inception.py) in float64.

    /usr/bin/python3 bench/inception/make_golden.py [--out FILE] [--force]

Default output: src/test/resources/dev/sparring/golden/inception-fid.safetensors (about 0.1 MB). Needs torch and numpy.
The file is deterministic: the same torch gives the same bytes (the float32 column may differ in the last bits on
another CPU or torch build; the float64 reference does not depend on them beyond rounding).

Two image sets, each run through pytorch-fid's whole chain (bilinear resize to 299 x 299, 2 x - 1, the network):
    rgb32   3 images of 3 x 32 x 32: 0 smooth colour ramps with a disc, 1 per-pixel hash noise (resize stress),
            2 a gray ring pattern replicated to 3 channels
    gray28  1 image of 3 x 28 x 28: a gray digit-like stroke pattern replicated to 3 channels (an MNIST-sized input)

Tensors (S a set name, T a stage name from TAPS; N images in the set):
    S.images          U8  (N, 3, H, W)  pixels k; pytorch-fid's input is k / 255 in [0, 1]
                                        (Sparring's [-1, 1] image is k / 127.5 - 1)
    S.pool3           F64 (N, 2048)     the FID features, float64 reference
    S.pool3_f32       F32 (N, 2048)     the same chain run by torch in float32 on the CPU (for comparison only)
    S.tap.T.stats     F64 (N, 4)        mean, std (population, ddof 0), min, max of stage T's output, per image
    S.tap.T.sample    F64 (N, 16)       stage T's output at the 16 flat indices tap.T.index (per image, (C, H, W)
                                        row-major)
    tap.T.shape       I64 (3,)          C, H, W of stage T's output (the same for every set: all run at 299 x 299)
    tap.T.index       I64 (16,)         flat indices ((2k + 1) * C*H*W) // 32, k = 0..15
Metadata: format, the formula's gain, the sets, the stage list in order, torch's version, float32's deviation.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import formula_weights as fw          # noqa: E402
import safetensors_io                 # noqa: E402
from fid_inception import FidInceptionV3, TRUNK   # noqa: E402

FORMAT = "sparring-inception-golden/1"
DEFAULT_OUT = os.path.join(HERE, "..", "..", "src", "test", "resources", "dev", "sparring", "golden",
                           "inception-fid.safetensors")
TAPS = ["input"] + TRUNK + ["pool3"]
SAMPLES = 16


def to_u8(a):
    return np.clip(np.rint(a * 255.0), 0, 255).astype(np.uint8)


def images_rgb32():
    yy, xx = np.mgrid[0:32, 0:32] / 31.0
    disc = ((xx - 0.4) ** 2 + (yy - 0.55) ** 2 < 0.09).astype(np.float64)
    ramps = np.stack([xx, 0.2 + 0.6 * yy, 0.9 * disc + 0.05])
    noise = (fw.hash_stream("golden.rgb32.noise", 3 * 32 * 32) >> np.uint64(56)).astype(np.float64) / 255.0
    r = np.hypot(xx - 0.5, yy - 0.5)
    ring = 0.5 + 0.5 * np.cos(2 * np.pi * 3.0 * r)
    return np.stack([to_u8(ramps), to_u8(noise.reshape(3, 32, 32)), to_u8(np.stack([ring] * 3))])


def images_gray28():
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float64)
    bar = (np.abs(yy - 6) < 2.0) & (xx > 6) & (xx < 22)           # a "7": top bar and a slanted stroke
    stroke = (np.abs((xx - 21) + 0.45 * (yy - 6)) < 2.0) & (yy > 5) & (yy < 24)
    g = np.where(bar | stroke, 1.0, 0.0)
    g = 0.25 * (g + np.roll(g, 1, 0) + np.roll(g, 1, 1) + np.roll(np.roll(g, 1, 0), 1, 1))   # soft edges
    return to_u8(np.stack([g] * 3))[None]


def run(model, x01):
    taps = {}
    with torch.no_grad():
        model(x01, taps)
    return taps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--force", action="store_true", help="overwrite an existing --out")
    args = ap.parse_args()
    out = os.path.normpath(args.out)
    if os.path.exists(out) and not args.force:
        raise SystemExit(f"make_golden.py: {out} exists; pass --force to overwrite it")
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))

    m64 = FidInceptionV3()
    m64.load_state_dict(fw.formula_state_dict(m64))
    m32 = FidInceptionV3()
    m32.load_state_dict(fw.formula_state_dict(m32))
    m64.double().eval()
    m32.float().eval()

    sets = {"rgb32": images_rgb32(), "gray28": images_gray28()}
    tensors, shapes, deviation, report = {}, {}, {}, []
    for sname, pix in sets.items():
        x64 = torch.from_numpy(pix.astype(np.float64) / 255.0)
        x32 = torch.from_numpy((pix.astype(np.float64) / 255.0).astype(np.float32))
        t64 = run(m64, x64)
        f32 = run(m32, x32)["pool3"].numpy()
        f64 = t64["pool3"].numpy()
        tensors[f"{sname}.images"] = pix
        tensors[f"{sname}.pool3"] = f64
        tensors[f"{sname}.pool3_f32"] = f32
        for name in TAPS:
            v = t64[name].numpy().reshape(pix.shape[0], -1)
            shape = tuple(t64[name].shape[1:]) if t64[name].dim() == 4 else (t64[name].shape[1], 1, 1)
            if name in shapes and shapes[name] != shape:
                raise SystemExit(f"make_golden.py: stage {name} has shape {shape} in {sname}, {shapes[name]} before")
            shapes[name] = shape
            numel = v.shape[1]
            index = np.array([((2 * k + 1) * numel) // (2 * SAMPLES) for k in range(SAMPLES)], dtype=np.int64)
            tensors[f"{sname}.tap.{name}.stats"] = np.stack(
                [v.mean(1), v.std(1), v.min(1), v.max(1)], axis=1).astype(np.float64)
            tensors[f"{sname}.tap.{name}.sample"] = v[:, index].astype(np.float64)
            tensors[f"tap.{name}.shape"] = np.array(shape, dtype=np.int64)
            tensors[f"tap.{name}.index"] = index
            report.append(f"{sname:6s} {name:14s} {str(shape):16s} mean " +
                          " ".join(f"{a:8.4f}" for a in v.mean(1)) + "   std " +
                          " ".join(f"{a:8.4f}" for a in v.std(1)) + "   zero " +
                          " ".join(f"{a:4.2f}" for a in (v == 0).mean(1)))
        diff = np.abs(f32.astype(np.float64) - f64)
        scale = np.abs(f64).max(axis=1, keepdims=True)
        rms = np.sqrt((f64 ** 2).mean(axis=1, keepdims=True))
        big = np.abs(f64) > rms / 10
        deviation[sname] = {
            "max_abs": float(diff.max()),
            "max_abs_over_max_ref": float((diff / scale).max()),
            "max_abs_over_rms_ref": float((diff / rms).max()),
            "max_elementwise_rel_where_ref_above_rms/10": float((diff[big] / np.abs(f64[big])).max()),
        }
        a, b = f64[0], f64[-1]
        if sname == "rgb32":
            report.append(f"rgb32 pool3: images 0 and 2 differ by {np.linalg.norm(a - b) / np.linalg.norm(a):.3f} "
                          f"(norm-relative), correlation {np.corrcoef(a, b)[0, 1]:.4f}")
        if (f64 == 0).all(axis=1).any() or not np.isfinite(f64).all():
            raise SystemExit(f"make_golden.py: {sname}: pool3 features all zero or not finite; the formula's scales "
                             f"do not keep activations alive")

    metadata = {
        "format": FORMAT,
        "description": "pytorch-fid FID Inception-v3 (TF inception-2015-12-05 graph) under formula weights "
                       "(bench/inception/formula_weights.py); float64 reference",
        "formula": json.dumps({"conv_gain": fw.CONV_GAIN, "hash": "fnv1a64(name) -> splitmix64 stream"}),
        "sets": json.dumps({k: list(v.shape) for k, v in sets.items()}),
        "taps": json.dumps(TAPS),
        "preprocess": "x01 = k / 255; bilinear resize to 299x299, align_corners=False, no antialias; x = 2 * x01 - 1",
        "float32_deviation": json.dumps(deviation),
        "torch": torch.__version__,
    }
    os.makedirs(os.path.dirname(out), exist_ok=True)
    safetensors_io.write(out, tensors, metadata)
    back, meta = safetensors_io.read(out)
    for k, v in tensors.items():
        if back[k].shape != v.shape or not np.array_equal(back[k], v):
            raise SystemExit(f"make_golden.py: {out}: {k} reads back differently")
    print("\n".join(report))
    print("float32 deviation from the float64 reference:", json.dumps(deviation, indent=1))
    print(f"wrote {out}: {len(tensors)} tensors, {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Converts pytorch-fid's published Inception weights (a pickled PyTorch state_dict) to safetensors for Sparring.

    /usr/bin/python3 bench/inception/convert_weights.py pt_inception-2015-12-05-6726825d.pth inception-fid.safetensors

The input is pytorch-fid's FID_WEIGHTS_URL file (README.md says where to get it). It is loaded with torch.load on the
CPU (weights_only=True where the installed torch has it: no code in the pickle is run), and its keys and shapes are
checked against the reference network (fid_inception.py): every tensor FID needs must be there with its shape, fc.weight
and fc.bias too (pytorch-fid loads the file strictly, fc included), and nothing else but BatchNorm num_batches_tracked
counters, which are dropped (eval mode never reads them). Every value must be finite. The output holds the remaining
tensors as F32 under the same names (--fid-only also drops fc.*, 8 MB FID never reads), and __metadata__:
    format       "sparring-inception-weights/1"
    source       the input's file name
    source_sha256  the input's SHA-256
    model        what the tensors are for
    converter    this script and the torch that ran it
By default the input's SHA-256 must start with the 8 hex digits of its published name (6726825d: torch.hub's naming
rule for a file's hash prefix); --any-source skips that (for other files of the same layout, and the self-test).
An existing OUT is not overwritten unless --force is given.
"""
import argparse
import hashlib
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import safetensors_io                        # noqa: E402
from fid_inception import FidInceptionV3     # noqa: E402

FORMAT = "sparring-inception-weights/1"
PUBLISHED_NAME = "pt_inception-2015-12-05-6726825d.pth"
PUBLISHED_SHA256_PREFIX = "6726825d"
MODEL = ("pytorch-fid FID Inception-v3 (TensorFlow inception-2015-12-05 graph, as in TTUR's FID); "
         "torchvision Inception3 names, 1008 classes, no AuxLogits")


def fail(msg):
    raise SystemExit(f"convert_weights.py: {msg}")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_pth(path):
    try:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except TypeError:           # torch < 1.13 has no weights_only
            obj = torch.load(path, map_location="cpu")
    except Exception as e:          # a pickle, zip or torch error: all mean "not a state_dict file we can read"
        fail(f"{path}: cannot be read as a PyTorch state_dict ({type(e).__name__}: {e})")
    if not isinstance(obj, dict):
        fail(f"{path}: holds a {type(obj).__name__}, not a state_dict (a dict of tensors)")
    bad = [k for k, v in obj.items() if not isinstance(k, str) or not torch.is_tensor(v)]
    if bad:
        fail(f"{path}: not a dict of named tensors (e.g. entry {bad[0]!r})")
    return obj


def check(path, sd):
    """The tensors to write, in the reference's order, as float32 numpy arrays; fails with a clear message."""
    ref = FidInceptionV3().state_dict()
    wanted = {k: tuple(v.shape) for k, v in ref.items() if not k.endswith("num_batches_tracked")}
    optional = {k for k in ref if k.endswith("num_batches_tracked")}
    missing = [k for k in wanted if k not in sd]
    unexpected = [k for k in sd if k not in wanted and k not in optional]
    problems = []
    if missing:
        problems.append(f"{len(missing)} tensor(s) missing, e.g. {', '.join(missing[:4])}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected tensor(s), e.g. {', '.join(unexpected[:4])}")
    for k, shape in wanted.items():
        if k in sd and tuple(sd[k].shape) != shape:
            problems.append(f"{k} has shape {list(sd[k].shape)}, expected {list(shape)}")
        elif k in sd and not sd[k].is_floating_point():
            problems.append(f"{k} has dtype {sd[k].dtype}, expected a floating-point tensor")
    if problems:
        fail(f"{path}: not pytorch-fid's FID Inception-v3 state_dict: " + "; ".join(problems[:6]))
    out = {}
    for k in wanted:
        a = sd[k].detach().to(torch.float64).numpy()
        if not np.isfinite(a).all():
            fail(f"{path}: {k} holds NaN or infinite values")
        out[k] = sd[k].detach().to(torch.float32).contiguous().numpy()
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", help=f"pytorch-fid's {PUBLISHED_NAME}")
    ap.add_argument("output", help="the safetensors file to write")
    ap.add_argument("--fid-only", action="store_true", help="leave out fc.weight and fc.bias (FID does not use them)")
    ap.add_argument("--any-source", action="store_true",
                    help=f"accept a file whose SHA-256 does not start with {PUBLISHED_SHA256_PREFIX}")
    ap.add_argument("--force", action="store_true", help="overwrite an existing output file")
    args = ap.parse_args(argv)

    if not os.path.isfile(args.input):
        fail(f"{args.input}: no such file")
    if os.path.exists(args.output) and not args.force:
        fail(f"{args.output} exists; pass --force to overwrite it")
    digest = sha256(args.input)
    if not args.any_source and not digest.startswith(PUBLISHED_SHA256_PREFIX):
        fail(f"{args.input}: SHA-256 {digest} does not start with {PUBLISHED_SHA256_PREFIX}, the prefix of the "
             f"published {PUBLISHED_NAME}; pass --any-source to convert it anyway")
    sd = load_pth(args.input)
    tensors = check(args.input, sd)
    if args.fid_only:
        tensors = {k: v for k, v in tensors.items() if not k.startswith("fc.")}
    dropped = sorted(set(sd) - set(tensors))
    metadata = {
        "format": FORMAT,
        "source": os.path.basename(args.input),
        "source_sha256": digest,
        "model": MODEL,
        "converter": f"bench/inception/convert_weights.py, torch {torch.__version__}",
    }
    safetensors_io.write(args.output, tensors, metadata)
    back, _ = safetensors_io.read(args.output)
    for k, v in tensors.items():
        if not np.array_equal(back[k], v):
            fail(f"{args.output}: {k} reads back differently")
    n = sum(v.size for v in tensors.values())
    print(f"wrote {args.output}: {len(tensors)} tensors, {n} floats, {os.path.getsize(args.output)} bytes; "
          f"source sha256 {digest}; left out {len(dropped)} ({', '.join(dropped[:2])}{', ...' if len(dropped) > 2 else ''})")


if __name__ == "__main__":
    main()

"""Deterministic "formula weights" for the FID Inception-v3: every tensor's values from its name and element index.

Both sides (this PyTorch reference and Sparring's Java network) compute the same weights from a few lines of integer
arithmetic, so a golden file of images and expected features checks the whole network without shipping 95 MB.

For a tensor NAME with n elements (row-major, PyTorch's layout) and element index i = 0 .. n-1:

    h    = FNV-1a 64 of NAME's UTF-8 bytes:  h = 0xcbf29ce484222325; for each byte b: h = (h ^ b) * 0x100000001b3
    u_i  = mix64(h + (i + 1) * 0x9e3779b97f4a7c15)                                     (all mod 2^64)
           mix64(z): z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9; z = (z ^ (z >>> 27)) * 0x94d049bb133111eb;
                     return z ^ (z >>> 31)
           (SplitMix64; u_0, u_1, ... are java.util.SplittableRandom(h).nextLong(), nextLong(), ...)
    s_i  = ((u_i >>> 11) - 2^52) * 2^-52     a float64 in [-1, 1), exact (a 53-bit integer minus 2^52, times 2^-52)
    v_i  = (float32) (c + w * s_i)           in float64: one multiply, one add, each rounded to nearest; then
                                             rounded to nearest-even float32

with (c, w) by the tensor's role (NAME's suffix; fan_in = Cin * kH * kW of the convolution):

    *.conv.weight          c = 0     w = CONV_GAIN * sqrt(3.0 / fan_in)  (std CONV_GAIN / sqrt(fan_in))
    *.bn.weight            c = 1     w = 0.25                            gamma in [0.75, 1.25)
    *.bn.bias              c = 0     w = 0.25                            beta  in [-0.25, 0.25)
    *.bn.running_mean      c = 0     w = 0.25
    *.bn.running_var       c = 1     w = 0.5                             var   in [0.5, 1.5)
    fc.weight              c = 0     w = sqrt(3.0 / 2048)
    fc.bias                c = 0     w = 0.125
    *.bn.num_batches_tracked          0 (int64)

w is computed as written: CONV_GAIN * Math.sqrt(3.0 / fanIn), the division and sqrt correctly rounded (IEEE), so Java's
Math.sqrt and Python's math.sqrt agree bit for bit.
"""
import math
import sys

import numpy as np
import torch

MASK = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
GOLDEN_GAMMA = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB

# He-like gain: conv weights of std CONV_GAIN / sqrt(fan_in). With the BN ranges above this keeps every block's output
# of order 1 from the stem to Mixed_7c (make_golden.py prints the per-block statistics; README.md lists them).
CONV_GAIN = 1.4


def fnv1a64(name):
    h = FNV_OFFSET
    for b in name.encode("utf-8"):
        h = ((h ^ b) * FNV_PRIME) & MASK
    return h


def mix64_scalar(z):
    z = ((z ^ (z >> 30)) * MIX1) & MASK
    z = ((z ^ (z >> 27)) * MIX2) & MASK
    return z ^ (z >> 31)


def hash_stream(name, n):
    """u_0 .. u_{n-1} for NAME as uint64 (numpy's uint64 arithmetic wraps modulo 2^64)."""
    h = np.uint64(fnv1a64(name))
    with np.errstate(over="ignore"):
        z = h + (np.arange(1, n + 1, dtype=np.uint64) * np.uint64(GOLDEN_GAMMA))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
        return z ^ (z >> np.uint64(31))


def unit_stream(name, n):
    """s_0 .. s_{n-1} in [-1, 1), float64, exact."""
    top = (hash_stream(name, n) >> np.uint64(11)).astype(np.int64) - (1 << 52)
    return top.astype(np.float64) * 2.0 ** -52


def role(name, shape):
    """(c, w) for a floating-point tensor NAME of the given shape; see the module docstring."""
    if name.endswith(".conv.weight"):
        fan_in = int(np.prod(shape[1:]))
        return 0.0, CONV_GAIN * math.sqrt(3.0 / fan_in)
    if name.endswith(".bn.weight"):
        return 1.0, 0.25
    if name.endswith(".bn.bias"):
        return 0.0, 0.25
    if name.endswith(".bn.running_mean"):
        return 0.0, 0.25
    if name.endswith(".bn.running_var"):
        return 1.0, 0.5
    if name == "fc.weight":
        return 0.0, math.sqrt(3.0 / shape[1])
    if name == "fc.bias":
        return 0.0, 0.125
    raise ValueError(f"formula_weights: no formula for tensor {name!r}")


def formula_tensor(name, shape):
    """The float32 values of tensor NAME (a numpy array of the given shape)."""
    c, w = role(name, tuple(shape))
    n = int(np.prod(shape)) if len(shape) else 1
    v = c + w * unit_stream(name, n)          # float64: w * s rounded, then c + (.) rounded
    return v.astype(np.float32).reshape(shape)


def formula_state_dict(model):
    """A state_dict for `model` (same keys, shapes, dtypes) filled by the formula; num_batches_tracked = 0."""
    out = {}
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            out[name] = torch.zeros_like(t)
        else:
            out[name] = torch.from_numpy(formula_tensor(name, tuple(t.shape)))
    return out


def worked_example(name="Conv2d_1a_3x3.conv.weight", shape=(32, 3, 3, 3), count=4):
    """Lines that spell out the formula for the first elements of one tensor (README.md quotes them)."""
    h = fnv1a64(name)
    c, w = role(name, shape)
    lines = [f"name {name}, shape {list(shape)}, fan_in {int(np.prod(shape[1:]))}",
             f"h = fnv1a64(name) = 0x{h:016x}", f"c = {c!r}, w = {w!r} ({w.hex()})"]
    u = hash_stream(name, count)
    s = unit_stream(name, count)
    v = formula_tensor(name, shape).reshape(-1)[:count]
    for i in range(count):
        ui = int(u[i])
        assert ui == mix64_scalar((h + (i + 1) * GOLDEN_GAMMA) & MASK)
        signed = ui - (1 << 64) if ui >> 63 else ui
        lines.append(f"i={i}: u = 0x{ui:016x} (Java long {signed}), u>>>11 = {ui >> 11}, s = {s[i]!r}, "
                     f"c + w*s = {c + w * s[i]!r}, float32 v = {float(v[i])!r} (bits 0x{v[i:i+1].view(np.uint32)[0]:08x})")
    return lines


if __name__ == "__main__":
    args = sys.argv[1:]
    if args:
        name = args[0]
        shape = tuple(int(d) for d in args[1:]) if len(args) > 1 else (32, 3, 3, 3)
        print("\n".join(worked_example(name, shape)))
    else:
        print("\n".join(worked_example()))

#!/usr/bin/env python3
"""Golden file for PyTorchGoldenTest: a small DCGAN trained for a few steps by PyTorch, every intermediate saved.

    python3 bench/pytorch/golden.py [--out FILE] [--device cpu|cuda] [--dtype float64|float32]

Default output: src/test/resources/dev/sparring/golden/dcgan32.safetensors (about 0.6 MB). Needs torch and numpy,
nothing else (the safetensors file is written here with struct + json; when the `safetensors` package is installed
the file is read back with it as a check).

The networks are PyTorch's DCGAN example (pytorch/examples, dcgan/main.py) at a small size, laid out as Sparring's
Dcgan builder lays them out for 28, 32 and 64 px (src/main/java/dev/sparring/gan/Dcgan.java), so that the state_dict
names are the same ("main.0.weight", "main.1.running_mean", ...):
    G: ConvT(nz, ngf*2^(L-1), k0, 1, 0) BN ReLU, [ConvT(w, w/2, 4, 2, 1) BN ReLU] x (L-1), ConvT(ngf, C, 4, 2, 1) Tanh
    D: Conv(C, ndf, 4, 2, 1) LReLU(0.2), [Conv(w, 2w, 4, 2, 1) BN LReLU(0.2)] x (L-1), Conv(ndf*2^(L-1), 1, k0, 1, 0)
with L = 2, 3, 4 stride-2 stages and k0 = 7, 4, 4 for 28, 32, 64 px; no bias in any convolution. D ends in a raw logit,
no Sigmoid: the example's Sigmoid + BCELoss is BCEWithLogitsLoss here, which is Sparring's "nsgan" loss exactly:
    critic    L_D = -(mean phi(t_real) + mean psi(t_fake)),  phi(t) = -softplus(-t) = log sigmoid(t),
                                                             psi(t) = -softplus(t)  = log(1 - sigmoid(t))
              = BCEWithLogits(t_real, 1) + BCEWithLogits(t_fake, 0)        (real images labelled 1)
    generator L_G = mean beta(t_fake), beta(t) = softplus(-t) = BCEWithLogits(t_fake, 1)   (non-saturating)
Initialisation as the example's weights_init: conv weights N(0, 0.02), BN weight N(1, 0.02), BN bias 0, drawn from a
seeded torch.Generator in float32. Inputs: z ~ N(0, 1) and real images drawn as uint8 pixels mapped to [-1, 1] by
x / 127.5 - 1, as Sparring's trainer maps them. The arithmetic runs in --dtype (float64 by default: the reference is
then exact to float32 rounding of its inputs, and the Java side is compared against it); tensors are stored as F32,
losses as F64.

Each of --steps iterations is the example's training step in Sparring's order (train/Trainer.java, alternating):
    x_fake = G(z_k)
    D.zero_grad(); t_real = D(x_real_k); t_fake = D(x_fake.detach())
    L_D = BCEWithLogits(t_real, 1) + BCEWithLogits(t_fake, 0); L_D.backward(); optD.step()
    G.zero_grad(); t_gen = D(x_fake)          (the updated D; batch statistics in every BN: all passes in train mode)
    L_G = BCEWithLogits(t_gen, 1); L_G.backward(); optG.step()
with Adam(lr 2e-4, betas (0.5, 0.999), eps 1e-8) for both networks.

Tensors in the file (B batch, C channels, S image side):
    G.<name>, D.<name>              initial state_dict: parameters, running_mean, running_var (F32),
                                    num_batches_tracked (I64, shape ())
    step<k>.z                       (B, nz, 1, 1)  latent batch of iteration k
    step<k>.x_real                  (B, C, S, S)   real batch of iteration k, in [-1, 1]
    step0.x_fake                    (B, C, S, S)   G(z_0)
    step0.t_real, step0.t_fake      (B)            D's logits on the real and fake batch, before D's update
    step0.t_gen                     (B)            D's logits on the fake batch after D's update (generator step)
    step0.grad.D.<param>            like the param: dL_D/dW_D after the critic's backward (before optD.step)
    step0.grad.G.<param>            like the param: dL_G/dW_G after the generator's backward (before optG.step)
    loss.d, loss.g                  (steps) F64    L_D and L_G of every iteration
    final.G.<name>, final.D.<name>  state_dict after all iterations (parameters and running statistics, F32;
                                    num_batches_tracked I64)
Metadata: format "sparring-golden/1", config (JSON: sizes, batch, steps, optimizer settings, seed, dtype, device,
torch version).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FORMAT = "sparring-golden/1"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "..", "src", "test", "resources", "dev", "sparring", "golden", "dcgan32.safetensors")


def stages(image_size):
    """Stride-2 stages and base side, as Dcgan.Config.stages() / baseSize()."""
    if image_size == 28:
        return 2, 7
    if image_size in (32, 64):
        return (5 if image_size == 32 else 6) - 2, 4
    raise SystemExit(f"golden.py: --image-size must be 28, 32 or 64 (the sizes Dcgan builds), got {image_size}")


class Generator(nn.Module):
    def __init__(self, image_size, nc, nz, ngf):
        super().__init__()
        n_stages, k0 = stages(image_size)
        width = ngf << (n_stages - 1)
        layers = [nn.ConvTranspose2d(nz, width, k0, 1, 0, bias=False), nn.BatchNorm2d(width), nn.ReLU(True)]
        for _ in range(1, n_stages):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width // 2), nn.ReLU(True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z):        # (B, nz, 1, 1) -> (B, C, S, S)
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, image_size, nc, ndf):
        super().__init__()
        n_stages, k0 = stages(image_size)
        width = ndf
        layers = [nn.Conv2d(nc, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
        for _ in range(1, n_stages):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width * 2), nn.LeakyReLU(0.2, inplace=True)]
            width *= 2
        layers += [nn.Conv2d(width, 1, k0, 1, 0, bias=False)]   # raw logit: no Sigmoid
        self.main = nn.Sequential(*layers)

    def forward(self, x):        # (B, C, S, S) -> (B)
        return self.main(x).view(-1)


def weights_init(module, gen):
    """The example's weights_init, drawn from a seeded generator (float32, on the CPU)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.copy_(1.0 + torch.randn(m.weight.shape, generator=gen) * 0.02)
                m.bias.zero_()


# ---------------------------------------------------------------- safetensors, written by hand

DTYPES = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64", np.dtype("<i8"): "I64"}


def to_numpy(t, dtype):
    return np.ascontiguousarray(t.detach().cpu().numpy().astype(dtype))


def write_safetensors(path, tensors, metadata):
    """tensors: name -> numpy array (F32, F64 or I64). Back-to-back data, 8-byte aligned buffer start."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, a in tensors.items():
        if a.dtype not in DTYPES:
            raise ValueError(f"{name}: unsupported dtype {a.dtype}")
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_back_check(path, tensors):
    """When the safetensors package is there, read the file with it and compare every tensor."""
    try:
        from safetensors.numpy import load_file
    except ImportError:
        return "safetensors package not installed: read-back check skipped"
    back = load_file(path)
    for name, a in tensors.items():
        if back[name].dtype != a.dtype or back[name].shape != a.shape or not np.array_equal(back[name], a):
            raise SystemExit(f"golden.py: {path}: tensor {name} reads back differently with the safetensors package")
    return f"read back with the safetensors package: {len(back)} tensors identical"


# ---------------------------------------------------------------- the run

def state(prefix, module):
    out = {}
    for name, t in module.state_dict().items():
        out[prefix + name] = to_numpy(t, np.int64 if name.endswith("num_batches_tracked") else np.float32)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--image-size", type=int, default=32)
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--nz", type=int, default=8)
    ap.add_argument("--ngf", type=int, default=8)
    ap.add_argument("--ndf", type=int, default=8)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (the reference is the same function; cpu is the default)")
    args = ap.parse_args()
    if args.steps < 1 or args.batch < 2:
        raise SystemExit("golden.py: --steps must be >= 1 and --batch >= 2 (batch norm needs two samples)")

    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    dev = torch.device(args.device)
    torch.backends.cudnn.allow_tf32 = False       # float32 on a GPU means float32, not TF32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.use_deterministic_algorithms(True, warn_only=True)

    gen = torch.Generator().manual_seed(args.seed)
    G = Generator(args.image_size, args.channels, args.nz, args.ngf)
    D = Discriminator(args.image_size, args.channels, args.ndf)
    weights_init(G, gen)
    weights_init(D, gen)
    tensors = {}
    tensors.update(state("G.", G))
    tensors.update(state("D.", D))

    # inputs, drawn in float32 on the CPU so that the Java side gets exactly the same values
    B, S, C = args.batch, args.image_size, args.channels
    zs, xs = [], []
    for k in range(args.steps):
        z = torch.randn((B, args.nz, 1, 1), generator=gen)                                   # (B, nz, 1, 1)
        px = torch.randint(0, 256, (B, C, S, S), generator=gen, dtype=torch.int64)           # (B, C, S, S) uint8 values
        x = (px.to(torch.float32) * np.float32(1 / 127.5) - 1).to(torch.float32)             # as gatherImages: x * (1/127.5) - 1
        tensors[f"step{k}.z"] = to_numpy(z, np.float32)
        tensors[f"step{k}.x_real"] = to_numpy(x, np.float32)
        zs.append(z)
        xs.append(x)

    G.to(dev, dtype).train()
    D.to(dev, dtype).train()
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    loss_d, loss_g = [], []
    for k in range(args.steps):
        z = zs[k].to(dev, dtype)
        x_real = xs[k].to(dev, dtype)
        x_fake = G(z)
        D.zero_grad(set_to_none=False)
        t_real = D(x_real)
        t_fake = D(x_fake.detach())
        ones, zeros = torch.ones_like(t_real), torch.zeros_like(t_real)
        l_d = F.binary_cross_entropy_with_logits(t_real, ones) + F.binary_cross_entropy_with_logits(t_fake, zeros)
        l_d.backward()
        if k == 0:
            tensors["step0.x_fake"] = to_numpy(x_fake, np.float32)
            tensors["step0.t_real"] = to_numpy(t_real, np.float32)
            tensors["step0.t_fake"] = to_numpy(t_fake, np.float32)
            for name, p in D.named_parameters():
                tensors["step0.grad.D." + name] = to_numpy(p.grad, np.float32)
        opt_d.step()

        G.zero_grad(set_to_none=False)
        t_gen = D(x_fake)
        l_g = F.binary_cross_entropy_with_logits(t_gen, ones)
        l_g.backward()
        if k == 0:
            tensors["step0.t_gen"] = to_numpy(t_gen, np.float32)
            for name, p in G.named_parameters():
                tensors["step0.grad.G." + name] = to_numpy(p.grad, np.float32)
        opt_g.step()
        loss_d.append(l_d.item())
        loss_g.append(l_g.item())
        print(f"step {k}: L_D {l_d.item():.9f}  L_G {l_g.item():.9f}")

    tensors["loss.d"] = np.array(loss_d, dtype=np.float64)
    tensors["loss.g"] = np.array(loss_g, dtype=np.float64)
    tensors.update(state("final.G.", G))
    tensors.update(state("final.D.", D))

    config = {"image_size": S, "channels": C, "nz": args.nz, "ngf": args.ngf, "ndf": args.ndf, "batch": B,
              "steps": args.steps, "loss": "nsgan", "optimizer": "adam", "lr": 2e-4, "beta1": 0.5, "beta2": 0.999,
              "eps": 1e-8, "seed": args.seed, "dtype": args.dtype, "device": str(dev), "torch": torch.__version__}
    out = os.path.normpath(args.out)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    write_safetensors(out, tensors, {"format": FORMAT, "config": json.dumps(config, sort_keys=True)})
    print(f"wrote {out}: {len(tensors)} tensors, {os.path.getsize(out)} bytes ({args.dtype} on {dev}, torch {torch.__version__})")
    print(read_back_check(out, tensors))
    return 0


if __name__ == "__main__":
    sys.exit(main())

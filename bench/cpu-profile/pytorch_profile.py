#!/usr/bin/env python3
"""PyTorch's side of bench/cpu-profile: the default job's step (28 px gray, nz 64, ngf = ndf = 32, batch 32, the
cpu-best configuration of bench/pytorch/dcgan_bench.py: D frozen during the G step) under torch.autograd.profiler,
per op and input shape, self CPU time per iteration.

    OPENBLAS_NUM_THREADS=1 python3 bench/cpu-profile/pytorch_profile.py [--threads 2] [--warmup 30] [--iters 60]
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pytorch"))
from golden import Discriminator, Generator, weights_init  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--warmup", type=int, default=30)
ap.add_argument("--iters", type=int, default=60)
ap.add_argument("--channels-last", action="store_true")
args = ap.parse_args()
torch.set_num_threads(args.threads)
S, C, NZ, NGF, NDF, B = 28, 1, 64, 32, 32, 32
gen = torch.Generator().manual_seed(1)
G, D = Generator(S, C, NZ, NGF), Discriminator(S, C, NDF)
weights_init(G, gen)
weights_init(D, gen)
fmt = torch.channels_last if args.channels_last else torch.contiguous_format
G.to(memory_format=fmt).train()
D.to(memory_format=fmt).train()
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
pixels = torch.randint(0, 256, (1024, C, S, S), generator=gen, dtype=torch.uint8)
ones, zeros = torch.ones(B), torch.zeros(B)
state = {"i": 0}


def step():
    k = state["i"] % (1024 // B)
    state["i"] += 1
    x = pixels[k * B:(k + 1) * B].to(torch.float32).mul_(1 / 127.5).sub_(1).contiguous(memory_format=fmt)
    D.zero_grad()
    F.binary_cross_entropy_with_logits(D(x), ones).backward()
    fake = G(torch.randn(B, NZ, 1, 1))
    F.binary_cross_entropy_with_logits(D(fake.detach()), zeros).backward()
    opt_d.step()
    G.zero_grad()
    for p in D.parameters():
        p.requires_grad_(False)
    F.binary_cross_entropy_with_logits(D(fake), ones).backward()
    for p in D.parameters():
        p.requires_grad_(True)
    opt_g.step()


for _ in range(args.warmup):
    step()
t0 = time.perf_counter()
for _ in range(args.iters):
    step()
plain = (time.perf_counter() - t0) * 1000 / args.iters
with torch.autograd.profiler.profile(record_shapes=True) as prof:
    t0 = time.perf_counter()
    for _ in range(args.iters):
        step()
    profiled = (time.perf_counter() - t0) * 1000 / args.iters
rows = sorted(prof.key_averages(group_by_input_shape=True), key=lambda e: -e.self_cpu_time_total)
print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, {'channels_last' if args.channels_last else 'contiguous'}: "
      f"{plain:.2f} ms/it unprofiled, {profiled:.2f} ms/it profiled; self CPU ms per iteration:")
print(f"{'op':<44} {'calls':>6} {'self ms/it':>10}  input shapes")
for e in rows[:40]:
    print(f"{e.key[:44]:<44} {e.count / args.iters:6.1f} {e.self_cpu_time_total / 1000 / args.iters:10.3f}  {str(e.input_shapes)[:90]}")

#!/usr/bin/env python3
"""PyTorch's side of bench/penalty/cost.sh: a WGAN-GP training iteration against a plain one, on the CPU.

    /usr/bin/python3 bench/penalty/cost_torch.py MODEL LAMBDA WARMUP ITERS BLOCKS [--threads N]

The models and the iteration are those of dev.sparring.bench.PenaltyStepTiming (Sparring's side), in float32:
    mlp      ring8's default MLP: G z (128, 4) -> [Linear(., 128) ReLU] x 2 -> Linear(128, 2);
             D x (128, 2) -> [Linear(., 128) LeakyReLU(0.2)] x 2 -> Linear(128, 1); real batches from the ring of 8
             Gaussians (radius 2, sigma 0.02)
    dcgan28  the default 28 px DCGAN (bench/pytorch/golden.py's networks: nz 64, ngf = ndf = 32, 1 channel, D with
             batch norm in training mode), batch 32, random real images in [-1, 1]
One iteration, WGAN's loss with Adam(lr 1e-4, betas (0, 0.9)) for both networks and one critic step:
    fake = G(z)
    D.zero_grad(); L_D = D(fake.detach()).mean() - D(x_real).mean()
    "gp" only:  eps ~ U(0, 1) per sample; x^ = eps x_real + (1 - eps) fake.detach(), requires_grad
                g = torch.autograd.grad(D(x^).sum(), x^, create_graph=True)[0]
                L_D = L_D + LAMBDA * ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()
    L_D.backward(); optD.step()
    D's parameters frozen (requires_grad False: no weight gradients for D, as Sparring's generator step computes none)
    G.zero_grad(); L_G = -D(fake).mean(); L_G.backward(); optG.step(); D unfrozen
After WARMUP iterations of each, BLOCKS rounds each time ITERS iterations of both, alternating which goes first, with
time.perf_counter and time.process_time around each block; prints one line per block:
    BLOCK framework=pytorch model=M variant=V ms=<wall ms per iteration> cpu_ms=<the process's CPU ms per iteration>
"""
import argparse
import math
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pytorch"))
from golden import Discriminator, Generator  # noqa: E402


def mlp(inp, hidden, depth, out, act):
    layers, n = [], inp
    for _ in range(depth):
        layers += [nn.Linear(n, hidden), act()]
        n = hidden
    layers.append(nn.Linear(n, out))
    return nn.Sequential(*layers)


class Variant:
    def __init__(self, model, lam, seed):
        torch.manual_seed(seed)
        self.lam = lam
        if model == "mlp":
            self.g = mlp(4, 128, 2, 2, nn.ReLU)
            self.d = mlp(2, 128, 2, 1, lambda: nn.LeakyReLU(0.2))
            self.batch, self.zshape = 128, (128, 4)
            angles = torch.arange(8) * (2 * math.pi / 8)
            self.centers = torch.stack([2 * torch.cos(angles), 2 * torch.sin(angles)], 1)
            self.images = None
        else:
            self.g = Generator(28, 1, 64, 32)
            self.d = Discriminator(28, 1, 32)
            self.batch, self.zshape = 32, (32, 64, 1, 1)
            self.images = torch.randint(0, 256, (1024, 1, 28, 28), dtype=torch.uint8)
        self.g.train()
        self.d.train()
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=1e-4, betas=(0.0, 0.9))
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=1e-4, betas=(0.0, 0.9))

    def real(self):
        if self.images is None:
            k = torch.randint(0, 8, (self.batch,))
            return self.centers[k] + 0.02 * torch.randn(self.batch, 2)
        idx = torch.randint(0, self.images.shape[0], (self.batch,))
        return self.images[idx].float() / 127.5 - 1

    def step(self):
        x_real = self.real()
        fake = self.g(torch.randn(self.zshape))
        self.d.zero_grad(set_to_none=True)
        fd = fake.detach()
        loss_d = self.d(fd).mean() - self.d(x_real).mean()
        if self.lam > 0:
            eps = torch.rand((self.batch,) + (1,) * (x_real.dim() - 1))
            xh = (eps * x_real + (1 - eps) * fd).requires_grad_(True)
            g, = torch.autograd.grad(self.d(xh).sum(), xh, create_graph=True)
            loss_d = loss_d + self.lam * ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()
        loss_d.backward()
        self.opt_d.step()
        for p in self.d.parameters():
            p.requires_grad_(False)
        self.g.zero_grad(set_to_none=True)
        loss_g = -self.d(fake).mean()
        loss_g.backward()
        self.opt_g.step()
        for p in self.d.parameters():
            p.requires_grad_(True)
        return loss_d.item(), loss_g.item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=["mlp", "dcgan28"])
    ap.add_argument("lam", type=float)
    ap.add_argument("warmup", type=int)
    ap.add_argument("iters", type=int)
    ap.add_argument("blocks", type=int)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (cost.sh gives both frameworks one)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    plain, gp = Variant(a.model, 0.0, 1), Variant(a.model, a.lam, 1)
    for _ in range(a.warmup):
        plain.step()
        gp.step()
    for b in range(a.blocks):
        order = [("plain", plain), ("gp", gp)] if b % 2 == 0 else [("gp", gp), ("plain", plain)]
        for name, v in order:
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(a.iters):
                ld, lg = v.step()   # .item() waits for the iteration
            ms = (time.perf_counter() - t0) * 1e3 / a.iters
            cpu_ms = (time.process_time() - c0) * 1e3 / a.iters
            if not (math.isfinite(ld) and math.isfinite(lg)):
                sys.exit("%s block %d: non-finite loss" % (name, b + 1))
            print("BLOCK framework=pytorch model=%s variant=%s ms=%.4f cpu_ms=%.4f" % (a.model, name, ms, cpu_ms), flush=True)


if __name__ == "__main__":
    main()

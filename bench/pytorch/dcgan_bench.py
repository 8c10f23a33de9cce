#!/usr/bin/env python3
"""PyTorch's DCGAN example, timed per training iteration: the reference for `sparring bench`.

    python3 bench/pytorch/dcgan_bench.py [--configs eager,strict,bf16cl,compile] [--batch 128] [--json FILE]

The model and step are the example's (pytorch/examples, dcgan/main.py) at 64 px RGB, nz 100, ngf = ndf = 64: the
networks of golden.py (D ends in a raw logit; the example's Sigmoid + BCELoss is BCEWithLogitsLoss here, the
non-saturating loss, labels real 1 / fake 0), Adam(lr 2e-4, betas (0.5, 0.999)) for both, and one iteration =
    D.zero_grad(); errD_real = bce(D(x_real), 1); errD_real.backward()
    fake = G(z); errD_fake = bce(D(fake.detach()), 0); errD_fake.backward(); optD.step()
    G.zero_grad(); errG = bce(D(fake), 1); errG.backward(); optG.step()
As in `sparring bench`, the data are random uint8 images already on the device (--images of them), gathered by index
and mapped to [-1, 1] on the device each step; z is drawn on the device. cudnn.benchmark is on (the example sets it).

Configurations (--configs, comma-separated; each is run in turn, and a failure is reported and the next one runs):
    eager    float32, PyTorch's defaults: cuDNN may use TF32 tensor cores for convolutions (allow_tf32 = True)
    strict   float32 with TF32 off: the arithmetic `sparring bench` does by default (its --tf32 is the `eager` match)
    bf16cl   channels_last memory format + bfloat16 autocast for the forward passes and losses
    compile  torch.compile(G), torch.compile(D) (default mode), float32 as `eager`; compile time is reported apart
    compile-ro  the same with mode="reduce-overhead" (CUDA graphs)
    cpu-best  float32 with D's parameters frozen (requires_grad False) during the G step, so that G's backward through
             D computes no weight gradients for D: what a PyTorch user tuning for the CPU does (Sparring's G step
             computes none either)
    cpu-best-cl  the same in channels_last memory format (oneDNN's blocked layouts; faster for some shapes)
On a PyTorch without torch.compile (1.x) the compile configurations are skipped with a notice. --threads sets
torch.set_num_threads (default: every core; Debian's PyTorch 1.13 uses 1 thread here unless told).
Timing: --warmup iterations, then --repeats blocks of --iters iterations, each block between CUDA events (on the CPU,
perf_counter around a block); the median block gives ms/iteration, it/s and images/s (= it/s x batch). GFLOP/s counts
the convolution multiply-adds of the passes one iteration needs (as TrainBench.convFlopsPerIteration in Java counts
them), so the figures compare with sparring bench's.

Output: progress on stderr; a markdown table and one JSON line per configuration (starting with {"bench") on stdout;
--json FILE also writes them all as one JSON document.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time
import traceback

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden import Discriminator, Generator, stages, weights_init  # noqa: E402  (same folder)

CONFIGS = ["eager", "strict", "bf16cl", "compile", "compile-ro", "cpu-best", "cpu-best-cl"]
DEFAULT_CONFIGS = "eager,strict,bf16cl,compile"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def conv_flops_per_iteration(size, channels, nz, ngf, ndf, batch):
    """2 x multiply-adds of the convolutions of one iteration, counted as TrainBench.convFlopsPerIteration does."""
    n_stages, k0 = stages(size)

    def macs(width):   # per sample, D's layers in forward order (G's mirror them)
        m, side, cin, cout = [], size, channels, width
        for _ in range(n_stages):
            side //= 2
            m.append(cout * side * side * cin * 16)
            cin, cout = cout, cout * 2
        m.append(cin * k0 * k0)
        return m

    d, g = macs(ndf), macs(ngf)
    g[-1] *= nz                                        # G's first layer maps nz channels
    d_all, d_not_first = sum(d), sum(d[1:])
    g_all, g_not_first = sum(g), sum(g) - g[-1]
    critic = g_all + 2 * d_all + 2 * (d_all + d_not_first)
    generator = d_all + d_all + (g_all + g_not_first)
    return 2.0 * batch * (critic + generator)


class Timer:
    """CUDA events on a GPU, perf_counter on the CPU; elapsed() waits for the device."""

    def __init__(self, device):
        self.cuda = device.type == "cuda"

    def start(self):
        if self.cuda:
            self.a = torch.cuda.Event(enable_timing=True)
            self.b = torch.cuda.Event(enable_timing=True)
            self.a.record()
        else:
            self.t = time.perf_counter()

    def elapsed_ms(self):
        if self.cuda:
            self.b.record()
            self.b.synchronize()
            return self.a.elapsed_time(self.b)
        return (time.perf_counter() - self.t) * 1000


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_config(name, args, device):
    """Builds fresh networks for one configuration, warms up and times them. Returns a result dict."""
    torch.backends.cudnn.benchmark = True
    tf32 = name != "strict"
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cuda.matmul.allow_tf32 = False      # PyTorch's default; DCGAN has no matmul anyway
    channels_last = name in ("bf16cl", "cpu-best-cl")
    freeze_d = name.startswith("cpu-best")
    autocast_dtype = torch.bfloat16 if name == "bf16cl" else None

    gen = torch.Generator().manual_seed(args.seed)
    G = Generator(args.image_size, args.channels, args.nz, args.ngf)
    D = Discriminator(args.image_size, args.channels, args.ndf)
    weights_init(G, gen)
    weights_init(D, gen)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    G.to(device=device, memory_format=fmt).train()
    D.to(device=device, memory_format=fmt).train()
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    g_fwd, d_fwd = G, D
    compile_s = None
    if name.startswith("compile"):
        if not hasattr(torch, "compile"):
            raise RuntimeError(f"torch {torch.__version__} has no torch.compile (needs PyTorch >= 2.0)")
        mode = "reduce-overhead" if name == "compile-ro" else None
        g_fwd, d_fwd = torch.compile(G, mode=mode), torch.compile(D, mode=mode)

    B, S, C = args.batch, args.image_size, args.channels
    pixels = torch.randint(0, 256, (args.images, C, S, S), generator=gen, dtype=torch.uint8).to(device)  # (N, C, S, S)
    order = torch.randperm(args.images, generator=gen).to(device)                                        # (N)
    ones = torch.ones(B, device=device)
    zeros = torch.zeros(B, device=device)
    per_epoch = args.images // B
    state = {"i": 0}

    def real_batch():
        k = state["i"] % per_epoch
        state["i"] += 1
        idx = order[k * B:(k + 1) * B]
        x = pixels.index_select(0, idx).to(torch.float32).mul_(1 / 127.5).sub_(1)                       # (B, C, S, S)
        return x.contiguous(memory_format=fmt)

    def autocast():
        if autocast_dtype is None:
            return torch.autocast(device.type, enabled=False)
        return torch.autocast(device.type, dtype=autocast_dtype)

    def step():
        x_real = real_batch()
        D.zero_grad()
        with autocast():
            err_real = F.binary_cross_entropy_with_logits(d_fwd(x_real).float(), ones)
        err_real.backward()
        z = torch.randn(B, args.nz, 1, 1, device=device)                                               # (B, nz, 1, 1)
        with autocast():
            fake = g_fwd(z)
            err_fake = F.binary_cross_entropy_with_logits(d_fwd(fake.detach()).float(), zeros)
        err_fake.backward()
        opt_d.step()
        G.zero_grad()
        if freeze_d:
            for p in D.parameters():
                p.requires_grad_(False)
        with autocast():
            err_g = F.binary_cross_entropy_with_logits(d_fwd(fake).float(), ones)
        err_g.backward()
        if freeze_d:
            for p in D.parameters():
                p.requires_grad_(True)
        opt_g.step()
        return err_real + err_fake, err_g

    # warm-up: the first iteration holds cuDNN's search (and the compilation), timed on its own
    t0 = time.perf_counter()
    l_d, l_g = step()
    sync(device)
    first_s = time.perf_counter() - t0
    if name.startswith("compile"):
        compile_s = first_s
    for _ in range(args.warmup - 1):
        l_d, l_g = step()
    sync(device)
    if not (math.isfinite(l_d.item()) and math.isfinite(l_g.item())):
        raise RuntimeError(f"non-finite losses after warm-up: L_D {l_d.item()}, L_G {l_g.item()}")

    timer = Timer(device)
    blocks = []
    for r in range(args.repeats):
        timer.start()
        for _ in range(args.iters):
            l_d, l_g = step()
        blocks.append(timer.elapsed_ms() / args.iters)
        log(f"  {name}: block {r + 1}/{args.repeats}: {blocks[-1]:.3f} ms/it")
    if not (math.isfinite(l_d.item()) and math.isfinite(l_g.item())):
        raise RuntimeError(f"non-finite losses after timing: L_D {l_d.item()}, L_G {l_g.item()}")
    ms = statistics.median(blocks)
    flops = conv_flops_per_iteration(S, C, args.nz, args.ngf, args.ndf, B)
    result = {"bench": "pytorch-dcgan", "config": name, "status": "ok", "device": describe(device),
              "torch": torch.__version__, "image_size": S, "channels": C, "nz": args.nz, "ngf": args.ngf, "ndf": args.ndf,
              "batch": B, "tf32": tf32 and device.type == "cuda", "channels_last": channels_last, "freeze_d": freeze_d,
              "autocast": str(autocast_dtype).replace("torch.", "") if autocast_dtype else None,
              "warmup": args.warmup, "iters": args.iters, "repeats": args.repeats,
              "ms_per_it": ms, "ms_per_it_blocks": blocks, "it_per_s": 1000 / ms, "img_per_s": 1000 / ms * B,
              "conv_gflop_per_it": flops / 1e9, "conv_gflop_per_s": flops / (ms * 1e6),
              "first_iter_s": first_s, "compile_s": compile_s,
              "last_d_loss": l_d.item(), "last_g_loss": l_g.item()}
    if device.type == "cuda":
        result["max_memory_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return result


def describe(device):
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        return f"{p.name} ({p.multi_processor_count} SMs, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()})"
    return f"CPU ({torch.get_num_threads()} threads)"


def table(results):
    rows = ["| config | ms/it | it/s | img/s | conv GFLOP/s | first iter (s) | status |",
            "|---|---:|---:|---:|---:|---:|---|"]
    for r in results:
        if r["status"] == "ok":
            rows.append(f"| {r['config']} | {r['ms_per_it']:.3f} | {r['it_per_s']:.2f} | {r['img_per_s']:.0f} | "
                        f"{r['conv_gflop_per_s']:.0f} | {r['first_iter_s']:.1f} | ok |")
        else:
            rows.append(f"| {r['config']} | | | | | | {r['status'].upper()}: {r['error'].splitlines()[-1][:120]} |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", default=DEFAULT_CONFIGS, help=f"comma-separated, of {', '.join(CONFIGS)}")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--image-size", type=int, default=64)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--nz", type=int, default=100)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--images", type=int, default=1024)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="torch.set_num_threads (default: every core; PyTorch may default to 1, which is not its best)")
    ap.add_argument("--json", help="also write every result to this file (one JSON document)")
    args = ap.parse_args()
    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in names if c not in CONFIGS]
    if unknown:
        raise SystemExit(f"dcgan_bench.py: unknown config(s) {unknown}; choose from {CONFIGS}")
    if args.images < args.batch or args.warmup < 1 or args.iters < 1 or args.repeats < 1 or args.threads < 1:
        raise SystemExit("dcgan_bench.py: need --images >= --batch and --warmup, --iters, --repeats, --threads >= 1")
    torch.set_num_threads(args.threads)
    stages(args.image_size)
    device = torch.device(args.device)
    log(f"dcgan_bench: torch {torch.__version__} on {describe(device)}, {torch.get_num_threads()} thread(s); configs {names}")

    results = []
    for name in names:
        if name.startswith("compile") and not hasattr(torch, "compile"):
            log(f"dcgan_bench: {name} skipped: torch {torch.__version__} has no torch.compile (it needs PyTorch >= 2.0)")
            results.append({"bench": "pytorch-dcgan", "config": name, "status": "skipped", "device": describe(device),
                            "torch": torch.__version__, "error": "no torch.compile before PyTorch 2.0"})
            continue
        log(f"dcgan_bench: {name} ...")
        try:
            results.append(run_config(name, args, device))
        except Exception as e:   # report and go on with the next configuration
            results.append({"bench": "pytorch-dcgan", "config": name, "status": "failed", "device": describe(device),
                            "torch": torch.__version__, "error": f"{type(e).__name__}: {e}",
                            "traceback": traceback.format_exc()})
            log(f"dcgan_bench: {name} FAILED: {type(e).__name__}: {e}")
        finally:
            if device.type == "cuda":
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats()

    print(f"PyTorch {torch.__version__} DCGAN {args.image_size}px C {args.channels} nz {args.nz} ngf {args.ngf} ndf {args.ndf}, "
          f"batch {args.batch} on {describe(device)}; median of {args.repeats} x {args.iters} iterations after {args.warmup}")
    print(table(results))
    for r in results:
        print(json.dumps({k: v for k, v in r.items() if k != "traceback"}))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0 if any(r["status"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Self-test of bench/inception: the converter, the golden file and the reference network (see README.md).

    /usr/bin/python3 bench/inception/selftest.py [--golden FILE] [--pytorch-fid-src DIR] [--only CHECK ...]

Checks, each printed as PASS/FAIL/SKIP with a closing "N passed, N failed" line (exit status 1 on any failure):
  convert       formula weights saved with torch.save (with and without num_batches_tracked) convert to safetensors
                that read back bit-identical; --fid-only drops fc.*; the metadata names the source and its SHA-256
  convert-errors  a missing tensor, a wrong shape, an unknown tensor, a non-dict pickle, a SHA-256 that is not the
                published file's (without --any-source) and an existing output (without --force) are refused with a
                one-line message naming the problem
  golden-replay the committed golden file's images through the reference network with the converted weights give
                its pool3 features and per-stage statistics (float64, to 1e-10 relative)
  golden-f32    float32 torch agrees with the float64 pool3 to 1e-4 relative (the tolerance the Java side will use)
  pitfalls      each known way to get FID Inception wrong moves pool3 by far more than 1e-4, so the golden file
                catches it: padding counted in the average pools, Mixed_7c's max pool taken as an average pool,
                align_corners=True, no 2x-1 scaling, BatchNorm eps 1e-5, a transposed 1x7/7x1 kernel
  pytorch-fid   when pytorch-fid's package can be imported (installed, or its src/ folder given with
                --pytorch-fid-src): its InceptionV3(resize_input, normalize_input) loads the formula state_dict
                strictly and gives the golden pool3 features (else SKIP)
"""
import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import convert_weights                                 # noqa: E402
import fid_inception                                   # noqa: E402
import formula_weights as fw                           # noqa: E402
import make_golden                                     # noqa: E402
import safetensors_io                                  # noqa: E402
from fid_inception import FidInceptionV3               # noqa: E402

TOL_F32 = 1e-4


def rel(a, b):
    """max |a - b| / max |b| per row (image), then the worst row."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float((np.abs(a - b).max(axis=-1) / np.abs(b).max(axis=-1)).max())


def model_from(tensors, dtype=torch.float64):
    """The reference network with weights from a name -> array dict (num_batches_tracked filled in)."""
    m = FidInceptionV3()
    sd = {k: torch.from_numpy(np.array(v)) for k, v in tensors.items()}
    for k, v in m.state_dict().items():
        if k not in sd:
            sd[k] = v.clone() if k.endswith("num_batches_tracked") else None
    if any(v is None for v in sd.values()):
        raise AssertionError("weights lack " + ", ".join(k for k, v in sd.items() if v is None))
    m.load_state_dict(sd, strict=True)
    return m.to(dtype).eval()


def features(model, pix, dtype=torch.float64):
    x = torch.from_numpy((pix.astype(np.float64) / 255.0)).to(dtype)
    taps = {}
    with torch.no_grad():
        model(x, taps)
    return taps


def convert(args):
    """Runs convert_weights.main; returns (exit message or None, printed text)."""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            convert_weights.main(args)
        return None, buf.getvalue()
    except SystemExit as e:
        return str(e), buf.getvalue()


class Checks:
    def __init__(self, golden, pfid_src):
        self.golden_path = golden
        self.pfid_src = pfid_src
        self.tmp = tempfile.mkdtemp(prefix="incref-selftest-")
        self.golden, self.meta = safetensors_io.read(golden)
        self.converted = None
        self.sd = fw.formula_state_dict(FidInceptionV3())

    # ------------------------------------------------------------ convert
    def check_convert(self):
        sd = self.sd
        pth = os.path.join(self.tmp, "formula.pth")
        torch.save(sd, pth)
        out = os.path.join(self.tmp, "formula.safetensors")
        err, text = convert([pth, out, "--any-source"])
        assert err is None, err
        back, meta = safetensors_io.read(out)
        expect = {k: v.numpy() for k, v in sd.items() if not k.endswith("num_batches_tracked")}
        assert list(back) == list(expect), "converted names or order differ from the state_dict's"
        for k, v in expect.items():
            assert back[k].dtype == np.float32 and back[k].shape == v.shape and np.array_equal(back[k], v), \
                f"{k} differs after conversion"
        assert meta["source"] == "formula.pth" and meta["source_sha256"] == convert_weights.sha256(pth), meta
        assert meta["format"] == convert_weights.FORMAT
        self.converted = back
        # a file without the counters (as a pre-0.4.1 torch.save wrote) converts to the same tensors
        pth2 = os.path.join(self.tmp, "no-counters.pth")
        torch.save({k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}, pth2)
        out2 = os.path.join(self.tmp, "no-counters.safetensors")
        err, _ = convert([pth2, out2, "--any-source", "--fid-only"])
        assert err is None, err
        back2, _ = safetensors_io.read(out2)
        assert set(back2) == set(expect) - {"fc.weight", "fc.bias"}, "--fid-only kept or lost the wrong tensors"
        assert all(np.array_equal(back2[k], expect[k]) for k in back2)
        return f"{len(back)} tensors bit-identical ({text.strip().split(';')[0]}); --fid-only: {len(back2)}"

    def check_convert_errors(self):
        sd = self.sd
        cases = []
        broken = dict(sd)
        del broken["Mixed_6c.branch7x7dbl_3.conv.weight"]
        cases.append(("missing", broken, "missing, e.g. Mixed_6c.branch7x7dbl_3.conv.weight"))
        broken = dict(sd)
        broken["Mixed_7c.branch3x3_2a.conv.weight"] = broken["Mixed_7c.branch3x3_2a.conv.weight"].transpose(2, 3)
        cases.append(("shape", broken, "Mixed_7c.branch3x3_2a.conv.weight has shape [384, 384, 3, 1], expected "
                                       "[384, 384, 1, 3]"))
        broken = dict(sd)
        broken["AuxLogits.fc.weight"] = torch.zeros(1008, 768)
        cases.append(("unexpected", broken, "unexpected tensor(s), e.g. AuxLogits.fc.weight"))
        cases.append(("not-a-dict", [torch.zeros(3)], "holds a list, not a state_dict"))
        for label, obj, needle in cases:
            pth = os.path.join(self.tmp, f"bad-{label}.pth")
            torch.save(obj, pth)
            out = os.path.join(self.tmp, f"bad-{label}.safetensors")
            err, _ = convert([pth, out, "--any-source"])
            assert err is not None and needle in err and "\n" not in err, f"{label}: {err!r}"
            assert not os.path.exists(out), f"{label}: wrote {out} anyway"
        good = os.path.join(self.tmp, "good.pth")
        torch.save(sd, good)
        err, _ = convert([good, os.path.join(self.tmp, "x.safetensors")])
        assert err is not None and "does not start with 6726825d" in err, err
        existing = os.path.join(self.tmp, "existing.safetensors")
        with open(existing, "w") as f:
            f.write("not ours")
        err, _ = convert([good, existing, "--any-source"])
        assert err is not None and "exists; pass --force" in err, err
        assert open(existing).read() == "not ours"
        return f"{len(cases) + 2} bad inputs refused with a one-line message"

    # ------------------------------------------------------------ golden
    def check_golden_replay(self):
        if self.converted is None:
            raise AssertionError("needs the convert check's output")
        m = model_from(self.converted)
        worst = 0.0
        for s in ("rgb32", "gray28"):
            taps = features(m, self.golden[f"{s}.images"])
            worst = max(worst, rel(taps["pool3"].numpy(), self.golden[f"{s}.pool3"]))
            for name in make_golden.TAPS:
                v = taps[name].numpy().reshape(taps[name].shape[0], -1)
                idx = self.golden[f"tap.{name}.index"]
                stats = np.stack([v.mean(1), v.std(1), v.min(1), v.max(1)], axis=1)
                worst = max(worst, rel(stats, self.golden[f"{s}.tap.{name}.stats"]),
                            rel(v[:, idx], self.golden[f"{s}.tap.{name}.sample"]) if np.abs(v[:, idx]).max() > 0 else 0)
        assert worst < 1e-10, f"worst relative difference {worst:.3g}"
        return f"pool3, stats and samples of {len(make_golden.TAPS)} stages agree to {worst:.2g}"

    def check_golden_f32(self):
        out = []
        for s in ("rgb32", "gray28"):
            d = rel(self.golden[f"{s}.pool3_f32"], self.golden[f"{s}.pool3"])
            assert d < TOL_F32, f"{s}: float32 pool3 off by {d:.3g}"
            out.append(f"{s} {d:.2g}")
        return "float32 vs float64 pool3 (max|diff|/max|ref|): " + ", ".join(out)

    def check_pitfalls(self):
        pix = self.golden["rgb32.images"][:2]          # the ramps and the noise image: enough, and a third faster
        ref = self.golden["rgb32.pool3"][:2]
        base = model_from({k: v for k, v in self.converted.items()})

        def variant(name, prepare, undo):
            prepare()
            try:
                return name, rel(features(base, pix)["pool3"].numpy(), ref)
            finally:
                undo()

        results = []
        keep_avg = fid_inception.avg3_exclusive
        results.append(variant(
            "average pools count the padding",
            lambda: setattr(fid_inception, "avg3_exclusive",
                            lambda x: F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=True)),
            lambda: setattr(fid_inception, "avg3_exclusive", keep_avg)))
        results.append(variant("Mixed_7c pools by average", lambda: setattr(base.Mixed_7c, "pool", "avg"),
                               lambda: setattr(base.Mixed_7c, "pool", "max")))
        results.append(variant("Mixed_7b pools by max", lambda: setattr(base.Mixed_7b, "pool", "max"),
                               lambda: setattr(base.Mixed_7b, "pool", "avg")))
        keep_pre = FidInceptionV3.__dict__["preprocess"]
        results.append(variant(
            "resize with align_corners=True",
            lambda: setattr(FidInceptionV3, "preprocess", staticmethod(
                lambda x: 2 * F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=True) - 1)),
            lambda: setattr(FidInceptionV3, "preprocess", keep_pre)))
        results.append(variant(
            "no 2x-1 scaling",
            lambda: setattr(FidInceptionV3, "preprocess", staticmethod(
                lambda x: F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False))),
            lambda: setattr(FidInceptionV3, "preprocess", keep_pre)))
        bns = [mod for mod in base.modules() if isinstance(mod, torch.nn.BatchNorm2d)]
        results.append(variant("BatchNorm eps 1e-5", lambda: [setattr(b, "eps", 1e-5) for b in bns],
                               lambda: [setattr(b, "eps", fid_inception.BN_EPS) for b in bns]))
        conv = base.Mixed_6b.branch7x7_2.conv
        w = conv.weight.data.clone()

        def transpose():
            conv.weight.data = w.reshape(w.shape[0], w.shape[1], 7, 1).contiguous()
            conv.kernel_size, conv.padding = (7, 1), (3, 0)

        def restore():
            conv.weight.data = w
            conv.kernel_size, conv.padding = (1, 7), (0, 3)
        results.append(variant("Mixed_6b 1x7 kernel read as 7x1", transpose, restore))
        # the order of resize and scaling is rounding-level only: not a pitfall, shown for the record
        scaled_first = variant(
            "(scale to [-1,1] first, then resize)",
            lambda: setattr(FidInceptionV3, "preprocess", staticmethod(
                lambda x: F.interpolate(2 * x - 1, size=(299, 299), mode="bilinear", align_corners=False))),
            lambda: setattr(FidInceptionV3, "preprocess", keep_pre))
        again = rel(features(base, pix)["pool3"].numpy(), ref)
        assert again < 1e-10, f"a variant was not undone: {again:.3g}"
        lines = [f"      {n:38s} pool3 moves by {d:.3g}" for n, d in results + [scaled_first]]
        weak = [n for n, d in results if d < 10 * TOL_F32]
        assert not weak, "the golden file hardly sees: " + ", ".join(weak) + "\n" + "\n".join(lines)
        assert scaled_first[1] < 1e-12, f"scaling before resizing moved pool3 by {scaled_first[1]:.3g}"
        return "each moves pool3 by >= 10x the 1e-4 tolerance\n" + "\n".join(lines)

    def check_pytorch_fid(self):
        if self.pfid_src:
            sys.path.insert(0, self.pfid_src)
        try:
            import pytorch_fid.inception as pfi
        except ImportError as e:
            return "SKIP", f"pytorch_fid not importable ({e}); pass --pytorch-fid-src DIR (its src/ folder)"
        sd = self.sd
        pfi.load_state_dict_from_url = lambda *a, **k: sd      # instead of downloading the published file
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net = pfi.InceptionV3([3], resize_input=True, normalize_input=True).double().eval()
            keys = list(pfi.fid_inception_v3().state_dict())
        assert keys == list(sd), "pytorch-fid's state_dict keys differ from fid_inception.py's"
        worst = 0.0
        for s in ("rgb32", "gray28"):
            x = torch.from_numpy(self.golden[f"{s}.images"].astype(np.float64) / 255.0)
            with torch.no_grad():
                f = net(x)[0].flatten(1).numpy()
            worst = max(worst, rel(f, self.golden[f"{s}.pool3"]))
        assert worst < 1e-10, f"pytorch-fid's pool3 differs from the golden file's by {worst:.3g}"
        return "PASS", f"same {len(keys)} keys in the same order; pool3 agrees to {worst:.2g}"

    ALL = ("convert", "convert_errors", "golden_replay", "golden_f32", "pitfalls", "pytorch_fid")

    def run(self, only):
        passed = failed = 0
        for name in self.ALL:
            if only and name.replace("_", "-") not in only:
                continue
            t0 = time.time()
            try:
                r = getattr(self, "check_" + name)()
                status, text = r if isinstance(r, tuple) else ("PASS", r)
            except AssertionError as e:
                status, text = "FAIL", str(e)
            print(f"{status} {name.replace('_', '-')} ({time.time() - t0:.0f} s): {text}", flush=True)
            passed += status == "PASS"
            failed += status == "FAIL"
        shutil.rmtree(self.tmp, ignore_errors=True)
        print(f"{passed} passed, {failed} failed")
        return failed == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--golden", default=os.path.normpath(make_golden.DEFAULT_OUT))
    ap.add_argument("--pytorch-fid-src", help="pytorch-fid's src/ folder, to compare with its InceptionV3")
    ap.add_argument("--only", action="append", choices=[n.replace("_", "-") for n in Checks.ALL],
                    help="run only this check (repeatable; golden-replay and pitfalls run convert first)")
    args = ap.parse_args()
    if args.only and {"golden-replay", "pitfalls"} & set(args.only):
        args.only.append("convert")
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    sys.exit(0 if Checks(args.golden, args.pytorch_fid_src).run(args.only) else 1)


if __name__ == "__main__":
    main()

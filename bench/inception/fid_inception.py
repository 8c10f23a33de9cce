"""The Inception-v3 network of FID, as pytorch-fid computes it, in plain torch.nn (a reference for Sparring's Java one).

pytorch-fid (mseitzer/pytorch-fid, src/pytorch_fid/inception.py) takes torchvision's Inception3 with 1008 classes and
no auxiliary classifier, replaces Mixed_5b..7c by blocks patched to behave as the TensorFlow graph of
inception-2015-12-05 (the graph TTUR's FID uses), and loads the weights ported from that graph. Written here again from
that description, with the same module names, so that this model's state_dict has exactly the keys of the published
file pt_inception-2015-12-05-6726825d.pth (see README.md, "State dict"):

  every convolution is BasicConv: Conv2d without bias, BatchNorm2d(eps=0.001) in eval mode, ReLU
      keys  NAME.conv.weight  NAME.bn.weight  NAME.bn.bias  NAME.bn.running_mean  NAME.bn.running_var
            NAME.bn.num_batches_tracked
  fc: Linear(2048, 1008), keys fc.weight, fc.bias (in the file; FID does not use it)
  no AuxLogits.* keys (pytorch-fid builds the network with aux_logits=False and loads the file strictly)

The differences from torchvision's Inception3 that FID depends on:
  - the 3x3 stride-1 average pools inside Mixed_5b/5c/5d (A), 6b..6e (C) and 7b (E) exclude the zero padding from the
    divisor (count_include_pad=False: a corner averages 4 values, an edge 6, the interior 9);
  - Mixed_7c's pool branch takes a 3x3 stride-1 pad-1 MAX pool instead of an average pool;
  - the output is "pool3": the 2048 channels of Mixed_7c averaged over the 8x8 map, before dropout and fc.

Preprocessing, as pytorch-fid's InceptionV3.forward with resize_input=True and normalize_input=True:
  x in [0, 1], shape (N, 3, H, W)  ->  bilinear resize to 299 x 299 (align_corners=False, no antialiasing)
                                   ->  2 x - 1
(the resize comes first). Sparring's images are in [-1, 1]: x01 = (x + 1) / 2 gives pytorch-fid's input; since
bilinear weights sum to 1, resize(x01) * 2 - 1 = resize(x) up to rounding, so a [-1, 1] image may be resized directly.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

FID_SIZE = 299
BN_EPS = 0.001
NUM_CLASSES = 1008   # the TF graph's 1008 logits; fc is in the state dict but not on the FID path


class BasicConv(nn.Module):
    """Convolution (no bias), batch norm with fixed statistics, ReLU. kernel/padding: int or (h, w)."""

    def __init__(self, cin, cout, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def avg3_exclusive(x):
    """3x3 stride-1 pad-1 average pool whose divisor counts only the in-image cells (TensorFlow's SAME pooling)."""
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class MixedA(nn.Module):
    """Mixed_5b/5c/5d at 35x35: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg3 -> 1x1; 64+64+96+pool_out channels."""

    def __init__(self, cin, pool_out):
        super().__init__()
        self.branch1x1 = BasicConv(cin, 64, 1)
        self.branch5x5_1 = BasicConv(cin, 48, 1)
        self.branch5x5_2 = BasicConv(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv(96, 96, 3, padding=1)
        self.branch_pool = BasicConv(cin, pool_out, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch5x5_2(self.branch5x5_1(x))
        c = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        d = self.branch_pool(avg3_exclusive(x))
        return torch.cat([a, b, c, d], 1)


class ReductionB(nn.Module):
    """Mixed_6a, 35x35 -> 17x17: 3x3/2 | 1x1 -> 3x3 -> 3x3/2 | max3/2; 384+96+cin channels (unpadded)."""

    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = BasicConv(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv(96, 96, 3, stride=2)

    def forward(self, x):
        a = self.branch3x3(x)
        b = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        c = F.max_pool2d(x, 3, stride=2)
        return torch.cat([a, b, c], 1)


class MixedC(nn.Module):
    """Mixed_6b..6e at 17x17 with factorised 7x7s (c7 inner channels); 192 x 4 = 768 channels out."""

    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = BasicConv(cin, 192, 1)
        self.branch7x7_1 = BasicConv(cin, c7, 1)
        self.branch7x7_2 = BasicConv(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv(cin, c7, 1)
        self.branch7x7dbl_2 = BasicConv(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv(cin, 192, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        c = x
        for conv in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                     self.branch7x7dbl_5):
            c = conv(c)
        d = self.branch_pool(avg3_exclusive(x))
        return torch.cat([a, b, c, d], 1)


class ReductionD(nn.Module):
    """Mixed_7a, 17x17 -> 8x8: 1x1 -> 3x3/2 | 1x1 -> 1x7 -> 7x1 -> 3x3/2 | max3/2; 320+192+768 = 1280 channels."""

    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = BasicConv(cin, 192, 1)
        self.branch3x3_2 = BasicConv(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv(cin, 192, 1)
        self.branch7x7x3_2 = BasicConv(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv(192, 192, 3, stride=2)

    def forward(self, x):
        a = self.branch3x3_2(self.branch3x3_1(x))
        b = x
        for conv in (self.branch7x7x3_1, self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b = conv(b)
        c = F.max_pool2d(x, 3, stride=2)
        return torch.cat([a, b, c], 1)


class MixedE(nn.Module):
    """Mixed_7b/7c at 8x8: 1x1 | 1x1 -> (1x3, 3x1) | 1x1 -> 3x3 -> (1x3, 3x1) | pool3 -> 1x1;
    320 + 768 + 768 + 192 = 2048 channels. pool: 'avg' (7b, padding excluded) or 'max' (7c)."""

    def __init__(self, cin, pool):
        super().__init__()
        if pool not in ("avg", "max"):
            raise ValueError(f"MixedE: pool must be 'avg' or 'max', got {pool!r}")
        self.pool = pool
        self.branch1x1 = BasicConv(cin, 320, 1)
        self.branch3x3_1 = BasicConv(cin, 384, 1)
        self.branch3x3_2a = BasicConv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv(cin, 448, 1)
        self.branch3x3dbl_2 = BasicConv(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv(cin, 192, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        s = self.branch3x3_1(x)
        b = torch.cat([self.branch3x3_2a(s), self.branch3x3_2b(s)], 1)
        t = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        c = torch.cat([self.branch3x3dbl_3a(t), self.branch3x3dbl_3b(t)], 1)
        p = avg3_exclusive(x) if self.pool == "avg" else F.max_pool2d(x, 3, stride=1, padding=1)
        d = self.branch_pool(p)
        return torch.cat([a, b, c, d], 1)


# The trunk in order: (name, kind). Stem pools are unpadded 3x3 stride-2 max pools; they hold no weights.
TRUNK = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2",
         "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
         "Mixed_7a", "Mixed_7b", "Mixed_7c"]


class FidInceptionV3(nn.Module):
    """pytorch-fid's FID Inception-v3. forward(x01): x in [0, 1], (N, 3, H, W) -> pool3 features (N, 2048)."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv(80, 192, 3)
        self.Mixed_5b = MixedA(192, 32)
        self.Mixed_5c = MixedA(256, 64)
        self.Mixed_5d = MixedA(288, 64)
        self.Mixed_6a = ReductionB(288)
        self.Mixed_6b = MixedC(768, 128)
        self.Mixed_6c = MixedC(768, 160)
        self.Mixed_6d = MixedC(768, 160)
        self.Mixed_6e = MixedC(768, 192)
        self.Mixed_7a = ReductionD(768)
        self.Mixed_7b = MixedE(1280, "avg")
        self.Mixed_7c = MixedE(2048, "max")
        self.fc = nn.Linear(2048, NUM_CLASSES)
        self.eval()

    @staticmethod
    def preprocess(x01):
        """pytorch-fid's input chain: bilinear resize to 299 x 299 (align_corners=False), then 2 x - 1."""
        x = F.interpolate(x01, size=(FID_SIZE, FID_SIZE), mode="bilinear", align_corners=False)
        return 2 * x - 1

    def trunk(self, x, taps=None):
        """x: the network input, (N, 3, 299, 299) in [-1, 1]. Returns pool3 (N, 2048); taps (a dict), when given,
        receives every TRUNK stage's output under its name, and "pool3"."""
        for name in TRUNK:
            if name.startswith("maxpool"):
                x = F.max_pool2d(x, 3, stride=2)
            else:
                x = getattr(self, name)(x)
            if taps is not None:
                taps[name] = x
        x = F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)
        if taps is not None:
            taps["pool3"] = x
        return x

    def forward(self, x01, taps=None):
        x = self.preprocess(x01)
        if taps is not None:
            taps["input"] = x
        return self.trunk(x, taps)

    def forward_pm1(self, x, taps=None):
        """Sparring's convention: x in [-1, 1]; maps it to pytorch-fid's [0, 1] input and runs forward."""
        return self.forward((x + 1) / 2, taps)

    def logits(self, pool3):
        """The 1008 class logits of the TF graph (not part of FID; here so that fc's weights have a use)."""
        return self.fc(pool3)


def fid_keys():
    """The state_dict keys the pool3 features depend on: all but fc.* and the num_batches_tracked counters."""
    return [k for k in FidInceptionV3().state_dict() if not k.startswith("fc.") and not k.endswith("num_batches_tracked")]

#!/usr/bin/env python3
"""Fetches the real cuDNN 9 and cuBLAS 12 Linux x86_64 libraries that Sparring's FFM bindings load, for checking the
bindings on a machine without a GPU (RealLibrariesHostTest; bench/results/host-libs-*.md).

    native/fetch-cuda-host-libs.py [DIR]        DIR defaults to .host-libs (git-ignored)

Source: Maven Central, org.bytedeco:cuda:12.6-9.5-1.5.11, classifier linux-x86_64-redist (a 2 GB jar of NVIDIA's
redistributable libraries: cuDNN 9.5, CUDA 12.6). Only the entries below are read, each with one HTTP range request
(about 480 MB compressed, 790 MB on disk); the jar's central directory gives their offsets. Every file is checked
against the CRC-32 the jar records, and its sha256 is printed. Files already there that match the jar's CRC-32 are kept.
Left out: libcudnn_engines_precompiled and libcudnn_adv (450 MB compressed; kernels and RNN/attention, only used on a
GPU) and libcudart (cuDNN and cuBLAS link the runtime statically). Python 3 standard library only.

Then:  SPARRING_TEST_HOST_LIBS=DIR ./build test -Dtest=RealLibrariesHostTest
"""
import hashlib
import io
import os
import struct
import sys
import urllib.request
import zipfile
import zlib

JAR = ("https://repo1.maven.org/maven2/org/bytedeco/cuda/12.6-9.5-1.5.11/"
       "cuda-12.6-9.5-1.5.11-linux-x86_64-redist.jar")
PREFIX = "org/bytedeco/cuda/linux-x86_64/"
FILES = ["libcudnn.so.9", "libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9",
         "libcudnn_heuristic.so.9", "libcudnn_engines_runtime_compiled.so.9",
         "libcublas.so.12", "libcublasLt.so.12"]


def get(start, end):
    """Bytes [start, end) of the jar, as a stream."""
    req = urllib.request.Request(JAR, headers={"Range": f"bytes={start}-{end - 1}"})
    r = urllib.request.urlopen(req, timeout=60)
    if r.status != 206:
        raise SystemExit(f"{JAR}: the server ignored the range request (HTTP {r.status})")
    return r


class RemoteFile(io.RawIOBase):
    """Just enough of a seekable file for zipfile to read the central directory (a few small range requests)."""

    def __init__(self):
        head = urllib.request.urlopen(urllib.request.Request(JAR, method="HEAD"), timeout=60)
        self.size, self.pos = int(head.headers["Content-Length"]), 0

    def seekable(self): return True
    def readable(self): return True
    def tell(self): return self.pos

    def seek(self, off, whence=0):
        self.pos = off if whence == 0 else self.pos + off if whence == 1 else self.size + off
        return self.pos

    def readinto(self, b):
        end = min(self.size, self.pos + len(b))
        if end <= self.pos:
            return 0
        data = get(self.pos, end).read()
        b[:len(data)] = data
        self.pos += len(data)
        return len(data)


def fetch(info, dest):
    """Streams one stored or deflated entry into dest, checking its CRC-32; returns its sha256."""
    local = get(info.header_offset, info.header_offset + 30).read()
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    start = info.header_offset + 30 + name_len + extra_len
    body = get(start, start + info.compress_size)
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    crc, sha, done = 0, hashlib.sha256(), 0
    tmp = dest + ".part"
    with open(tmp, "wb") as out:
        while True:
            chunk = body.read(1 << 20)
            if not chunk:
                break
            data = inflate.decompress(chunk) if inflate else chunk
            crc = zlib.crc32(data, crc)
            sha.update(data)
            out.write(data)
            done += len(chunk)
            print(f"\r  {os.path.basename(dest)}: {done >> 20} / {info.compress_size >> 20} MB", end="", flush=True)
        if inflate:
            rest = inflate.flush()
            crc = zlib.crc32(rest, crc)
            sha.update(rest)
            out.write(rest)
    print()
    if crc != info.CRC or os.path.getsize(tmp) != info.file_size:
        os.remove(tmp)
        raise SystemExit(f"{dest}: CRC or size differs from the jar's record; try again")
    os.replace(tmp, dest)
    return sha.hexdigest()


def digests(path):
    """(sha256, CRC-32) of a file already there."""
    h, crc = hashlib.sha256(), 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            crc = zlib.crc32(chunk, crc)
    return h.hexdigest(), crc


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(root, ".host-libs")
    os.makedirs(out, exist_ok=True)
    print(f"reading the table of contents of {JAR}")
    jar = zipfile.ZipFile(io.BufferedReader(RemoteFile(), buffer_size=1 << 16))
    for name in FILES:
        info = jar.getinfo(PREFIX + name)
        dest = os.path.join(out, name)
        digest, crc = digests(dest) if os.path.exists(dest) and os.path.getsize(dest) == info.file_size else (None, None)
        if crc != info.CRC:
            digest = fetch(info, dest)
        print(f"{digest}  {name}  ({info.file_size} bytes)")
    print(f"\nthe libraries are in {out}; now run:\n  SPARRING_TEST_HOST_LIBS={out} ./build test -Dtest=RealLibrariesHostTest")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The FID Inception-v3's forward speed on one backend: images/s through InceptionV3.features under the formula weights,
# after a check against the golden file (dev.sparring.bench.InceptionBench). Each batch size runs in a fresh JVM:
# one untimed batch, then ROUNDS timed ones; the figures and the load average go to
# bench/results/inception-<device>-<date>.md.
#   bench/inception/bench.sh [DEVICE] [ROUNDS] [BATCHES...]     defaults: cpu 5 32 8
# Runs under nice -n 10 with -Xmx8g (a batch of 32 holds 4.1 GB of layer outputs).
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench/../.." && pwd)"
device="${1:-cpu}"; rounds="${2:-5}"; shift $(( $# > 2 ? 2 : $# )) || true
batches=("$@"); [ ${#batches[@]} -gt 0 ] || batches=(32 8)
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
(cd "$root" && ./build -q package -DskipTests)
out="$root/bench/results/inception-$device-$(date -u +%Y%m%d).md"
commit="$(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- src || echo ' + uncommitted changes')"
{
  echo "# FID Inception-v3 forward, $device ($(date -u +%Y-%m-%d))"
  echo
  echo "Command: \`bench/inception/bench.sh $device $rounds ${batches[*]}\` (commit $commit, $("$JAVA_HOME/bin/java" -version 2>&1 | head -1))."
  echo "Each batch size in a fresh JVM under \`nice -n 10\`, \`-Xmx8g\`: the golden check, one untimed batch, $rounds timed"
  echo "batches of 3 x 64 x 64 images (resized to 299 x 299 by the network, as pytorch-fid does); images/s = batch / wall time"
  echo "of \`features()\` (the features downloaded). GFLOP/s counts 2 x the convolutions' multiply-adds (5.711 G per image)."
  echo
  for b in "${batches[@]}"; do
    echo "## batch $b"
    echo
    echo '```'
    (cd "$root" && nice -n 10 "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Xmx8g -cp target/sparring.jar \
      dev.sparring.bench.InceptionBench "$device" "$b" "$rounds" 64 2>&1 | grep -v '^WARNING: Using incubator')
    echo '```'
    echo
  done
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out" >&2

#!/usr/bin/env bash
# Builds .gpu-kit/: everything a GPU machine without Java, Maven or network needs to run Sparring and its tests.
# The device tool carries it beside the working tree (carry: [".gpu-kit"]); bench/gpu/session.sh uses it.
#
#   native/build-gpu-kit.sh [KIT_DIR]          default KIT_DIR: .gpu-kit (git-ignored)
#
# Contents (about 27 MB):
#   sparring-linux-x86_64.tar.xz            the portable bundle of native/build-bundle.sh (jlink runtime, jar,
#                                           bin/sparring); env.sh unpacks it on first use
#   junit-platform-console-standalone-*.jar JUnit's console launcher, the version that matches pom.xml's JUnit
#   test-classes/                           target/test-classes: the compiled tests and their resources
#   selftest/                               the host CUDA simulator's driver self-test (driver_selftest, built by
#                                           native/cudasim/build.sh with g++) and nvcc's kernels.ptx and
#                                           kernels.sm_90.cubin of its test kernels: the session runs
#                                           driver_selftest --cuda-only against the GPU machine's libcuda.so.1
#   env.sh                                  sourced: unpacks the bundle, exports SPARRING_HOME and SPARRING_JAVA
#   run-tests.sh                            runs chosen test classes: run-tests.sh REPORTS_DIR --select-class ...
#   KIT.txt                                 what went in
#
# The jar and the test classes are rebuilt (./build -q package -DskipTests) when they are missing or older than
# src/, pom.xml or kernels/. The bundle is rebuilt when it is older than the jar. The self-test is built (or found up
# to date) in target/cudasim; it needs g++ and nvcc. Fetching the JUnit launcher needs Maven Central once (then the
# local Maven repository has it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kit="${1:-$here/.gpu-kit}"
cd "$here"

jar="$here/target/sparring.jar"
tests="$here/target/test-classes"
if [ ! -f "$jar" ] || [ ! -d "$tests" ] || [ -n "$(find "$here/src" "$here/pom.xml" "$here/kernels" -newer "$jar" -type f -print -quit 2>/dev/null)" ]; then
  echo "gpu-kit: building the jar and the test classes (./build -q package -DskipTests) ..."
  "$here/build" -q package -DskipTests || { echo "gpu-kit: the build failed (see above)" >&2; exit 1; }
fi
if ! unzip -l "$jar" 'dev/sparring/kernels/*.ptx' >/dev/null 2>&1; then
  echo "gpu-kit: $jar has no CUDA kernels (it was built without nvcc): the CUDA backend could not run on the GPU machine;" >&2
  echo "         install the CUDA toolkit (nvcc) here, then remove target/ and run this again" >&2
  exit 1
fi

bundle="$here/target/bundle/sparring-linux-x86_64.tar.xz"
if [ ! -f "$bundle" ] || [ "$jar" -nt "$bundle" ] || [ "$here/native/build-bundle.sh" -nt "$bundle" ]; then
  "$here/native/build-bundle.sh" "$here/target/bundle"
fi

# The driver self-test and nvcc's images of its test kernels (build.sh builds nothing when target/cudasim is current).
"$here/native/cudasim/build.sh" "$here/target/cudasim" || { echo "gpu-kit: native/cudasim/build.sh failed (see above)" >&2; exit 1; }
selftest="$here/target/cudasim/selftest"
for f in driver_selftest kernels.ptx kernels.sm_90.cubin; do
  if [ ! -f "$selftest/$f" ]; then
    echo "gpu-kit: $selftest/$f is missing: the self-test needs g++ and nvcc (see native/cudasim/build.sh)" >&2
    exit 1
  fi
done

junit_version="$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' "$here/pom.xml" | head -n 1)"
[ -n "$junit_version" ] || { echo "gpu-kit: no <junit.version> in pom.xml" >&2; exit 1; }
platform_version="1.${junit_version#5.}"          # JUnit Jupiter 5.x.y ships with Platform 1.x.y
standalone="junit-platform-console-standalone-$platform_version.jar"

rm -rf "$kit.tmp"
mkdir -p "$kit.tmp"
echo "gpu-kit: fetching $standalone ..."
"$here/build" -q dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$platform_version" \
  -DoutputDirectory="$kit.tmp" >/dev/null || { echo "gpu-kit: could not fetch $standalone from Maven (needs Maven Central once)" >&2; exit 1; }
[ -f "$kit.tmp/$standalone" ] || { echo "gpu-kit: $standalone did not arrive in $kit.tmp" >&2; exit 1; }
cp "$bundle" "$kit.tmp/"
cp -r "$tests" "$kit.tmp/test-classes"
mkdir -p "$kit.tmp/selftest"
cp "$selftest/driver_selftest" "$selftest/kernels.ptx" "$selftest/kernels.sm_90.cubin" "$kit.tmp/selftest/"
cp "$here/bench/gpu/kit-env.sh" "$kit.tmp/env.sh"
cp "$here/bench/gpu/run-tests.sh" "$kit.tmp/run-tests.sh"
chmod +x "$kit.tmp/run-tests.sh"
{
  echo "Sparring GPU kit"
  echo "commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$here" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "built:  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "junit:  $standalone (Jupiter $junit_version)"
  echo "tests:  $(find "$kit.tmp/test-classes" -name '*Test.class' | wc -l) test classes"
  newest() { objdump -T "$selftest/driver_selftest" 2>/dev/null | grep -o "$1"'_[0-9.]*' | sort -uV | tail -n 1; }
  echo "selftest: driver_selftest (needs $(newest GLIBC) and $(newest GLIBCXX)), kernels.ptx, kernels.sm_90.cubin"
  echo
  tar -xJOf "$bundle" sparring-linux-x86_64/BUILD.txt
} > "$kit.tmp/KIT.txt"
rm -rf "$kit"
mv "$kit.tmp" "$kit"

size_kb="$(du -sk "$kit" | cut -f1)"
echo "gpu-kit: $kit ($((size_kb / 1024)) MB)"
if [ "$size_kb" -gt $((40 * 1024)) ]; then
  echo "gpu-kit: warning: the kit is over 40 MB; the device tool carries at most 64 MiB with the working tree" >&2
fi

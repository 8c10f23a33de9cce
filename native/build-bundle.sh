#!/usr/bin/env bash
# Builds the portable Sparring bundle for linux-x86_64: a trimmed Java runtime (jlink), the shaded jar and a launcher,
# as a folder and as one .tar.xz archive. The bundle needs no Java, Maven or network on the machine it runs on.
#
#   native/build-bundle.sh [OUT_DIR]          default OUT_DIR: target/bundle
#
# Writes:
#   OUT_DIR/sparring-linux-x86_64/bin/sparring     the launcher (the same JVM flags as ./sparring)
#   OUT_DIR/sparring-linux-x86_64/runtime/         the jlink image (modules: below)
#   OUT_DIR/sparring-linux-x86_64/lib/sparring.jar the shaded jar, CUDA kernels included when it was built with nvcc
#   OUT_DIR/sparring-linux-x86_64/BUILD.txt        what went in: commit, JDK, modules, kernels
#   OUT_DIR/sparring-linux-x86_64.tar.xz           the same folder, archived
#
# Use:  tar -xJf sparring-linux-x86_64.tar.xz && sparring-linux-x86_64/bin/sparring doctor
#
# The jar is (re)built with `./build -q package -DskipTests` when it is missing or older than src/main, pom.xml or
# kernels/ (as ./sparring does). Runtime modules: what jdeps finds in the jar (java.base, java.desktop for
# ImageIO/AWT PNG output), plus jdk.incubator.vector (the CPU GEMM; jdeps does not report incubator modules) and
# java.logging + java.sql, which JUnit's console launcher needs when native/build-gpu-kit.sh reuses this runtime.
# SPARRING_BUNDLE_MODULES=a,b adds more.
#
# Size: jlink stores its module file uncompressed (--compress zip-0) and the native libraries are stripped, because
# xz then compresses the whole folder to about 23 MB, where jlink's own zip-9 would leave about 30 MB that xz cannot
# shrink further. The unpacked folder is about 90 MB.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$here/target/bundle}"
name="sparring-linux-x86_64"

if [ "$(uname -s)" != "Linux" ] || [ "$(uname -m)" != "x86_64" ]; then
  echo "build-bundle: this builds a linux-x86_64 bundle from the JDK it runs with; this machine is $(uname -s) $(uname -m)" >&2
  exit 1
fi

. "$here/scripts/jdk.sh"
sparring_find_jdk || exit 1
for tool in jlink jdeps; do
  [ -x "$JAVA_HOME/bin/$tool" ] || { echo "build-bundle: $JAVA_HOME/bin/$tool not found: the JDK at JAVA_HOME=$JAVA_HOME has no $tool; install a full JDK 25" >&2; exit 1; }
done
command -v xz >/dev/null 2>&1 || { echo "build-bundle: xz not found on PATH; install xz-utils" >&2; exit 1; }

jar="$here/target/sparring.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$here/src/main" "$here/pom.xml" "$here/kernels" -newer "$jar" -type f -print -quit 2>/dev/null)" ]; then
  echo "build-bundle: building $jar (./build -q package -DskipTests) ..."
  "$here/build" -q package -DskipTests || { echo "build-bundle: the jar build failed (see above)" >&2; exit 1; }
fi

# Modules: jdeps on the jar, then the fixed additions.
found="$("$JAVA_HOME/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps "$jar")" \
  || { echo "build-bundle: jdeps failed on $jar" >&2; exit 1; }
modules="$(printf '%s\n' "$found" jdk.incubator.vector java.logging java.sql ${SPARRING_BUNDLE_MODULES:-} \
  | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)"

dir="$out/$name"
rm -rf "$dir" "$out/$name.tar.xz"
mkdir -p "$out"
echo "build-bundle: jlink $modules"
# jlink warns "Using incubator modules: jdk.incubator.vector", which is expected.
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress zip-0 \
  --output "$dir/runtime" 2>&1 | grep -v 'Using incubator modules' || true
[ -x "$dir/runtime/bin/java" ] || { echo "build-bundle: jlink did not produce $dir/runtime/bin/java" >&2; exit 1; }
if command -v strip >/dev/null 2>&1; then
  # symbol tables only; the dynamic symbols that the JVM and JNI look up stay
  find "$dir/runtime" -name '*.so' -type f -exec strip --strip-unneeded {} +
fi

mkdir -p "$dir/bin" "$dir/lib"
cp "$jar" "$dir/lib/sparring.jar"
cat > "$dir/bin/sparring" <<'EOF'
#!/bin/sh
# The sparring command of the portable bundle: the bundled Java runtime on the bundled jar, with the flags that
# ./sparring in the source tree uses. Extra JVM options (e.g. -Xmx8g): SPARRING_JAVA_OPTS.
self="$(readlink -f "$0" 2>/dev/null || echo "$0")"
root="$(cd "$(dirname "$self")/.." && pwd)"
# shellcheck disable=SC2086
exec "$root/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Djava.awt.headless=true ${SPARRING_JAVA_OPTS:-} -jar "$root/lib/sparring.jar" "$@"
EOF
chmod +x "$dir/bin/sparring"

kernels="$(unzip -p "$jar" dev/sparring/kernels/kernels.properties 2>/dev/null | grep -v '^#' | paste -sd' ' - || true)"
{
  echo "Sparring portable bundle (linux-x86_64)"
  echo "commit:  $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$here" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "built:   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "jdk:     $("$JAVA_HOME/bin/java" -version 2>&1 | sed -n 2p)"
  echo "modules: $modules"
  echo "kernels: ${kernels:-none (CPU-only jar: it was built without nvcc)}"
  echo
  echo "Run: bin/sparring doctor    bin/sparring train --help"
  echo "The CUDA backend needs an NVIDIA driver >= 580 and cuBLAS/cuDNN (for example PyTorch's pip wheels); see doctor."
} > "$dir/BUILD.txt"

echo "build-bundle: compressing $name.tar.xz ..."
tar -C "$out" -cf - "$name" | xz -9 -T0 > "$out/$name.tar.xz.tmp"
mv "$out/$name.tar.xz.tmp" "$out/$name.tar.xz"
echo "build-bundle: $dir ($(du -sh "$dir" | cut -f1)) and $out/$name.tar.xz ($(du -h "$out/$name.tar.xz" | cut -f1))"

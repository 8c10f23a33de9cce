#!/usr/bin/env bash
# Runs JUnit test classes of the GPU kit with its bundled Java runtime (copied to .gpu-kit/run-tests.sh by
# native/build-gpu-kit.sh; no Java or Maven needed on the machine).
#
#   .gpu-kit/run-tests.sh REPORTS_DIR SELECTOR...
#   .gpu-kit/run-tests.sh /tmp/reports --select-class dev.sparring.backend.cuda.CudaParityTest
#   .gpu-kit/run-tests.sh /tmp/reports --select-package dev.sparring.backend.cuda
#
# SELECTOR... are JUnit console launcher options (--select-class, --select-method, --select-package,
# --include-tag, ...). The tests run from the repository root (the kit's parent folder) when it is one, because some
# read the sources (kernels/*.cu, src/main/java). Reports: REPORTS_DIR/TEST-junit-jupiter.xml (legacy XML) and the
# launcher's tree on stdout. Exit status: the launcher's (0 all passed, 1 a test failed, 2 no test ran).
# JVM options: the same as ./sparring and the Maven tests, plus SPARRING_JAVA_OPTS (default -Xmx8g).
set -euo pipefail
kit="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -lt 2 ]; then
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
fi
reports="$1"; shift
mkdir -p "$reports"
reports="$(cd "$reports" && pwd)"
. "$kit/env.sh"
junit="$(ls "$kit"/junit-platform-console-standalone-*.jar 2>/dev/null | head -n 1)"
[ -n "$junit" ] || { echo "run-tests: no junit-platform-console-standalone jar in $kit: rebuild the kit" >&2; exit 1; }
root="$(dirname "$kit")"
if [ -f "$root/pom.xml" ] && [ -d "$root/src" ]; then cd "$root"; fi
# shellcheck disable=SC2086
exec "$SPARRING_JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true \
  ${SPARRING_JAVA_OPTS:--Xmx8g} -jar "$junit" execute --disable-banner --disable-ansi-colors --fail-if-no-tests \
  --class-path "$SPARRING_HOME/lib/sparring.jar:$kit/test-classes" --reports-dir "$reports" "$@"

# Sourced by ./sparring and ./build: finds a JDK >= 25 and exports JAVA_HOME, or stops with a message.
# Order: $JAVA_HOME, then the usual install folders. Nothing here downloads anything.
sparring_java_major() {
  # prints the major version of the java binary $1, or nothing. A JDK's release file names it (JAVA_VERSION="25.0.3"),
  # which spares starting a JVM for each candidate (0.05 to 0.1 s each); without one, the binary is asked.
  local release="${1%/bin/java}/release" v=""
  [ -f "$release" ] && v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release" | head -n 1)
  if [ -n "$v" ]; then echo "$v"; return; fi
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

sparring_find_jdk() {
  local need=25 cand major
  local -a cands=()
  [ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME")
  for d in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* /opt/*jdk* \
           "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* "$HOME"/.local/share/jdks/* \
           /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$d" ] && cands+=("$d")
  done
  for cand in "${cands[@]}"; do
    [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    major=$(sparring_java_major "$cand/bin/java")
    if [ -n "$major" ] && [ "$major" -ge "$need" ]; then
      export JAVA_HOME="$cand"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  {
    echo "sparring: no JDK >= $need found."
    echo "  searched: \$JAVA_HOME (${JAVA_HOME:-unset}), /usr/lib/jvm, /usr/java, /opt, ~/.sdkman, ~/.jdks"
    echo "  install a JDK 25 (for example Eclipse Temurin 25: package temurin-25-jdk) and/or set JAVA_HOME to it."
  } >&2
  return 1
}

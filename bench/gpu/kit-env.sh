# Sourced from the GPU kit (.gpu-kit/env.sh, copied there by native/build-gpu-kit.sh): unpacks the kit's portable
# bundle once and exports
#   SPARRING_KIT    the kit folder
#   SPARRING_HOME   the unpacked bundle (bin/sparring, runtime/bin/java, lib/sparring.jar)
#   SPARRING_JAVA   $SPARRING_HOME/runtime/bin/java
# The bundle is unpacked into $SPARRING_UNPACK (default /tmp/sparring-kit); a stamp file beside it holds the
# archive's checksum, so a newer kit is unpacked again and an unchanged one is not.
SPARRING_KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_sk_archive="$SPARRING_KIT/sparring-linux-x86_64.tar.xz"
_sk_dir="${SPARRING_UNPACK:-/tmp/sparring-kit}"
if [ ! -f "$_sk_archive" ]; then
  echo "kit: $_sk_archive is missing: rebuild the kit with native/build-gpu-kit.sh" >&2
  return 1 2>/dev/null || exit 1
fi
_sk_sum="$(cksum < "$_sk_archive" | cut -d' ' -f1)"
if [ ! -x "$_sk_dir/sparring-linux-x86_64/runtime/bin/java" ] || [ "$(cat "$_sk_dir/stamp" 2>/dev/null)" != "$_sk_sum" ]; then
  rm -rf "$_sk_dir" && mkdir -p "$_sk_dir" && tar -C "$_sk_dir" -xJf "$_sk_archive" && echo "$_sk_sum" > "$_sk_dir/stamp" || {
    echo "kit: could not unpack $_sk_archive into $_sk_dir" >&2
    return 1 2>/dev/null || exit 1
  }
fi
export SPARRING_KIT
export SPARRING_HOME="$_sk_dir/sparring-linux-x86_64"
export SPARRING_JAVA="$SPARRING_HOME/runtime/bin/java"
unset _sk_archive _sk_dir _sk_sum

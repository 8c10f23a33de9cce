#!/usr/bin/env bash
# Self-test of bench/inception (see selftest.py): converter, golden file, pitfalls, and pytorch-fid when it is there.
#   bench/inception/selftest.sh [--pytorch-fid-src DIR]
# Needs a python3 with torch and numpy: $PYTHON if set, else the first of python3 and /usr/bin/python3 that has them
# (Debian's python3-torch is enough).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-}"
if [[ -z "$py" ]]; then
  for c in python3 /usr/bin/python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import torch, numpy' >/dev/null 2>&1; then py="$c"; break; fi
  done
fi
[[ -n "$py" ]] || { echo "selftest.sh: no python3 with torch and numpy found; set PYTHON (apt-get install python3-torch)" >&2; exit 2; }
exec nice -n 10 "$py" "$here/selftest.py" "$@"

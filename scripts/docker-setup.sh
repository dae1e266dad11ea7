#!/usr/bin/env bash
# Make the docker backend usable on a Debian host: install the daemon (and debootstrap, for hosts
# without an image registry), start dockerd if nothing answers, then build the language images.
# Idempotent and cached: images are rebuilt only when their Dockerfile changes (hash label).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
    echo "docker-setup: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
    echo "docker-setup: starting dockerd (log: /var/log/afterburner-dockerd.log)"
    $SUDO sh -c 'nohup dockerd >/var/log/afterburner-dockerd.log 2>&1 &'
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    docker info >/dev/null 2>&1 || { echo "docker-setup: dockerd did not start" >&2; tail -20 /var/log/afterburner-dockerd.log >&2; exit 1; }
fi

started=$(date +%s)
"$PYTHON" -m afterburner_core images build
echo "docker-setup: images ready in $(( $(date +%s) - started )) s"

#!/usr/bin/env bash
# Make the docker backend usable on a Debian host: install the daemon (and debootstrap, for hosts
# without an image registry), start dockerd if nothing answers, then build the language images.
# Idempotent and cached: images are rebuilt only when their Dockerfile changes (hash label).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
install_missing docker-setup dockerd=docker.io debootstrap=debootstrap

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

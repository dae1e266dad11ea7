# Shared by scripts/setup.sh and scripts/docker-setup.sh (sourced, not run).
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"

# install_missing WHO COMMAND=PACKAGE...: apt-get install the packages whose command is absent.
# Returns 1 (after saying what to install) where there is no apt-get.
install_missing() {
    local who=$1 pair
    shift
    local missing=()
    for pair in "$@"; do
        command -v "${pair%%=*}" >/dev/null || missing+=("${pair#*=}")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null; then
        echo "$who: please install: ${missing[*]}" >&2
        return 1
    fi
    echo "$who: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

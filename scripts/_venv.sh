# Shared by scripts/demo and scripts/test: make .venv and install the project into it.
# Sourced, not run. Reinstalls only when pyproject.toml changed since the last install.

PYTHON_BIN="${PYTHON:-}"
if [ -z "$PYTHON_BIN" ]; then
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then PYTHON_BIN="$candidate"; break; fi
    done
fi
if [ -z "$PYTHON_BIN" ]; then
    echo "error: no python3 found; install Python 3.11 or newer (apt-get install python3)" >&2
    exit 2
fi

_as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
        echo "error: need root to run: $*" >&2; exit 2; fi
}

ensure_venv() {
    local extras="$1"
    if [ ! -x .venv/bin/python ]; then
        if ! "$PYTHON_BIN" -m venv .venv 2>/dev/null; then
            rm -rf .venv
            echo "python venv support is missing; installing python3-venv" >&2
            _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
            "$PYTHON_BIN" -m venv .venv
        fi
    fi
    local stamp=".venv/.installed-$extras"
    local want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        .venv/bin/python -m pip install -q --upgrade pip >/dev/null
        .venv/bin/python -m pip install -q -e ".$extras"
        echo "$want" > "$stamp"
    fi
}

#!/usr/bin/env bash
# `make brownie`: the card's contract tooling (eth-brownie 1.22.2 + ganache-cli), offline.
# brownie pins web3 7 and pytest 9.1, so it lives in its own virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=.venv-brownie

if ! "$VENV/bin/python" -c "import brownie, importlib.metadata as m; assert m.version('eth-brownie') == '1.22.2'" 2>/dev/null; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check eth-brownie==1.22.2
fi

# The compiler: the npm solc registered where py-solc-x (and so brownie) looks.
.venv/bin/python -c "from ledger.chain.solc import install_shim; install_shim()"

# ganache-cli by that bare name, running the npm ganache 7; its temporary folders go where we clean.
WORK=$(mktemp -d)
trap 'pkill -f "$WORK/bin/ganache-cli" 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin" "$WORK/tmp"
cat > "$WORK/bin/ganache-cli" <<SH
#!/bin/sh
exec "$ROOT/node_modules/.bin/ganache" "\$@"
SH
chmod +x "$WORK/bin/ganache-cli"
export PATH="$WORK/bin:$ROOT/$VENV/bin:$PATH" TMPDIR="$WORK/tmp"

mkdir -p build
brownie compile
brownie test --network ganache-cli
brownie run deploy --network ganache-cli  # scripts/brownie/deploy.py (paths are relative to the scripts folder)

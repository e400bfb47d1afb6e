#!/usr/bin/env bash
# `make brownie`: the contract tooling of the card, eth-brownie 1.22.2 + ganache-cli, offline.
#
#   bash scripts/brownie.sh                 # brownie compile, brownie test, brownie run deploy (ganache-cli)
#   bash scripts/brownie.sh ARGS...         # any one brownie command in the same setup, e.g.
#   bash scripts/brownie.sh test tests_brownie/test_anchor.py --network ganache-cli   (path first)
#
# brownie pins web3 7, pytest 9.1 and ~60 other exact versions, so it lives in its own virtual environment
# (.venv-brownie, installed once). Each run gets:
# - a fresh, temporary HOME for brownie: its data folder (~/.brownie: network-config.yaml, errors.json,
#   the Hypothesis database) starts from the copies in the brownie package, which needs no network; the
#   compiler comes from the shim folder through SOLCX_BINARY_PATH, so nothing is ever downloaded;
# - `ganache-cli` on PATH by that bare name, a wrapper around the npm ganache 7.9.2, on a free port
#   (brownie would otherwise attach to whatever listens on 8545, anvil included);
# - a TMPDIR removed at exit, since ganache leaves its database folders behind when brownie kills it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=$ROOT/.venv-brownie
BROWNIE_VERSION=1.22.2
PYTHON=${PYTHON:-python3.11}

log() { printf '==> %s\n' "$*" >&2; }

# 1. brownie in .venv-brownie (checked without importing brownie, which would create ~/.brownie).
has_brownie() {
  "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('eth-brownie') != '$BROWNIE_VERSION')" \
    2>/dev/null
}
if ! has_brownie; then
  start=$SECONDS
  log "installing eth-brownie $BROWNIE_VERSION into .venv-brownie"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "eth-brownie==$BROWNIE_VERSION"
  has_brownie
  log "installed in $((SECONDS - start)) s"
fi

# 2. The compiler: the npm solc of this checkout (build/solcx), where py-solc-x (and so brownie) is
#    pointed by SOLCX_BINARY_PATH; the temporary HOME below has no ~/.solcx of another checkout.
if [[ ! -x .venv/bin/python || ! -x node_modules/.bin/ganache ]]; then
  echo "scripts/brownie.sh: run 'make setup' first (.venv and node_modules)" >&2
  exit 1
fi
SOLC=$(.venv/bin/python -c "from ledger.chain.solc import install_shim; print(install_shim())")
export SOLCX_BINARY_PATH=${SOLC%/*}

# 3. A work folder for this run: brownie's HOME, ganache-cli, TMPDIR; removed at exit.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/saksi-brownie.XXXXXX")
cleanup() {
  local pid tries
  # Only the ganache processes this run started (the wrapper records its pid before exec'ing node):
  # brownie kills its own at exit, this covers a brownie that was itself killed. ganache takes a moment
  # to stop on SIGTERM; it gets SIGKILL after 5 s, and the folder goes once it has stopped.
  if [[ -f $WORK/ganache.pids ]]; then
    while read -r pid; do
      [[ $(ps -o args= -p "$pid" 2>/dev/null) == *ganache* ]] || continue
      kill "$pid" 2>/dev/null || continue
      for ((tries = 0; tries < 50; tries++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
    done <"$WORK/ganache.pids"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$WORK/home" "$WORK/bin" "$WORK/tmp"

# brownie runs `ganache-cli --version` (it wants "v7.") and then ganache 7 flags: --server.port,
# --hardfork, --wallet.mnemonic, --wallet.totalAccounts, --miner.blockGasLimit, --wallet.defaultBalance,
# --chain.vmErrorsOnRPCResponse. The npm ganache 7.9.2 takes them all as they are.
cat >"$WORK/bin/ganache-cli" <<EOF
#!/bin/sh
echo \$\$ >>"$WORK/ganache.pids"
exec "$ROOT/node_modules/.bin/ganache" "\$@"
EOF
chmod +x "$WORK/bin/ganache-cli"
export PATH="$WORK/bin:$VENV/bin:$PATH" TMPDIR="$WORK/tmp"

# brownie 1.22.2 warns "rpc.snapshot should not be called directly" about its own calls (its guard looks
# for the caller in a Python frame, and its Chain is compiled with mypyc): silenced, it means nothing here.
brownie() { HOME="$WORK/home" PYTHONWARNINGS="ignore:rpc.:FutureWarning" "$VENV/bin/brownie" "$@"; }

# brownie creates its build folder but not the folder above it.
mkdir -p build/brownie

# ganache-cli on a free port: brownie attaches to anything already listening on its port.
PORT=$("$VENV/bin/python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
brownie networks modify ganache-cli "port=$PORT" >/dev/null

step() {
  local start=$SECONDS
  log "brownie $*"
  brownie "$@"
  log "brownie $1: $((SECONDS - start)) s"
}

if (($#)); then
  brownie "$@"
else
  step compile
  step test --network ganache-cli
  # brownie resolves a relative script path inside its scripts folder only when that folder is a single
  # path component; ours is scripts/brownie, so the script is named by its absolute path.
  step run "$ROOT/scripts/brownie/deploy.py" --network ganache-cli
fi

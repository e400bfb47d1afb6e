#!/usr/bin/env python
"""Deploy SaksiLedger to any EVM JSON-RPC endpoint with a key from an Ethereum keystore file.

    SAKSI_PASSWORD=… python scripts/deploy.py --rpc http://127.0.0.1:8545 --keystore operator.json \
        [--chain-id 31337] [--admin 0x…] [--anchorer 0x…] [--registrar 0x…] [--json]

The keystore's password comes from the environment variable SAKSI_PASSWORD when it is set, else from a
prompt. Every role defaults to the deploying account. With --chain-id the node must serve that chain.
Prints the contract's address and the chain id; any failure prints one line and exits non-zero.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from eth_keyfile import decode_keyfile_json  # noqa: E402
from eth_utils import is_address, to_canonical_address, to_checksum_address  # noqa: E402

from ledger.chain.rpc import RpcChain, RpcSettings  # noqa: E402
from ledger.devchain.nodes import rpc  # noqa: E402
from ledger.errors import SaksiError  # noqa: E402

EXIT_USAGE = 2


def _address(text: str) -> bytes:
    if not is_address(text):
        raise argparse.ArgumentTypeError(f"not an address: {text}")
    return to_canonical_address(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Deploy the SaksiLedger contract.")
    parser.add_argument("--rpc", required=True, help="JSON-RPC endpoint URL")
    parser.add_argument("--keystore", required=True, type=Path, help="keystore (eth-keyfile JSON) of the deployer")
    parser.add_argument("--chain-id", type=int, help="refuse to deploy unless the node serves this chain id")
    parser.add_argument("--admin", type=_address, help="DEFAULT_ADMIN_ROLE holder (default: the deployer)")
    parser.add_argument("--anchorer", type=_address, help="ANCHORER_ROLE holder (default: the deployer)")
    parser.add_argument("--registrar", type=_address, help="REGISTRAR_ROLE holder (default: the deployer)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the deployment to be mined")
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of text")
    return parser.parse_args(argv)


def read_key(keystore: Path) -> bytes:
    data = json.loads(keystore.read_text())
    password = os.environ.get("SAKSI_PASSWORD")
    if password is None:
        password = getpass.getpass(f"password for {keystore}: ")
    try:
        return bytes(decode_keyfile_json(data, password.encode()))
    except ValueError as error:
        raise SaksiError(f"cannot decrypt {keystore}: {error}") from None


def deploy(args: argparse.Namespace) -> dict[str, object]:
    key = read_key(args.keystore)
    chain_id = args.chain_id if args.chain_id is not None else int(rpc(args.rpc, "eth_chainId"), 16)
    chain = RpcChain.connect(args.rpc, chain_id, key, settings=RpcSettings(receipt_timeout_s=args.timeout))
    operator = chain.operator
    address, outcome = chain.deploy(args.admin or operator, args.anchorer or operator, args.registrar or operator)
    return {
        "address": to_checksum_address(address),
        "chainId": chain_id,
        "txHash": "0x" + outcome.tx_hash.hex(),
        "blockNumber": outcome.block_number,
        "gasUsed": outcome.gas_used,
        "deployer": to_checksum_address(operator),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = deploy(args)
    except SaksiError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"SaksiLedger deployed at {result['address']} on chain id {result['chainId']}")
        print(f"transaction {result['txHash']} in block {result['blockNumber']} (gas used {result['gasUsed']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

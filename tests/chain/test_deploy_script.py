"""scripts/deploy.py: deploy with a keystore key to an RPC endpoint, print the address and chain id."""

from __future__ import annotations

import importlib.util
import json

import pytest
from eth_keyfile import create_keyfile_json
from web3 import Web3

from ledger.chain import solc
from ledger.chain.rpc import RpcChain
from ledger.devchain.nodes import deploy_ledger
from tests.chain.support import OPERATOR, OPERATOR_KEY, STRANGER

pytestmark = [pytest.mark.chain, pytest.mark.anvil]


def load_script():
    spec = importlib.util.spec_from_file_location("deploy_script", solc.REPO_ROOT / "scripts" / "deploy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def keystore(tmp_path):
    path = tmp_path / "operator.json"
    # Few iterations: a test keystore only has to decrypt, quickly.
    path.write_text(json.dumps(create_keyfile_json(OPERATOR_KEY, b"rahasia", iterations=2)))
    return path


def test_deploys_with_a_keystore_and_prints_address_and_chain_id(anvil_node, keystore, monkeypatch, capsys):
    monkeypatch.setenv("SAKSI_PASSWORD", "rahasia")
    args = ["--rpc", anvil_node.url, "--keystore", str(keystore), "--registrar", "0x" + STRANGER.hex(), "--json"]
    assert load_script().main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["chainId"] == anvil_node.chain_id
    assert printed["deployer"].lower() == "0x" + OPERATOR.hex()
    chain = RpcChain.connect(anvil_node.url, anvil_node.chain_id, OPERATOR_KEY, bytes.fromhex(printed["address"][2:]))
    assert chain.has_role("ANCHORER_ROLE", OPERATOR) and not chain.has_role("REGISTRAR_ROLE", OPERATOR)
    assert chain.has_role("REGISTRAR_ROLE", STRANGER)


def test_wrong_password_or_chain_id_is_one_line_and_a_non_zero_exit(anvil_node, keystore, monkeypatch, capsys):
    script = load_script()
    monkeypatch.setenv("SAKSI_PASSWORD", "salah")
    assert script.main(["--rpc", anvil_node.url, "--keystore", str(keystore)]) != 0
    assert capsys.readouterr().err.count("\n") == 1
    monkeypatch.setenv("SAKSI_PASSWORD", "rahasia")
    assert script.main(["--rpc", anvil_node.url, "--keystore", str(keystore), "--chain-id", "1"]) == 2
    assert "serves chain id 31337, configured 1" in capsys.readouterr().err


def test_deploy_ledger_takes_an_adapter_or_a_web3(anvil_node):
    address = deploy_ledger(Web3(Web3.HTTPProvider(anvil_node.url)), OPERATOR_KEY, registrar=STRANGER)
    chain = anvil_node.chain(OPERATOR_KEY).with_contract(address)
    assert chain.has_role("DEFAULT_ADMIN_ROLE", OPERATOR) and chain.has_role("REGISTRAR_ROLE", STRANGER)
    other = deploy_ledger(chain, OPERATOR_KEY)
    assert other != address and chain.with_contract(other).has_role("REGISTRAR_ROLE", OPERATOR)

"""The agency registry: register, rotate, revoke (registrar only), each with its event."""

from __future__ import annotations

import pytest
from contract_helpers import events_of, revert_of, transact
from web3 import Web3
from web3.contract import Contract

pytestmark = [pytest.mark.anvil, pytest.mark.chain]

REGISTRAR_ROLE = Web3.keccak(text="REGISTRAR_ROLE")
UNKNOWN, ACTIVE, REVOKED = 0, 1, 2
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
# Anvil's dev accounts 5 and 6: addresses only, used as agency signers.
SIGNER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
NEW_SIGNER = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"


def code_hash(code: str) -> bytes:
    return Web3.keccak(text=code)


def register(w3: Web3, ledger: Contract, roles, code: str = "dukcapil", signer: str = SIGNER):
    return transact(w3, ledger.functions.registerAgency(code, signer), roles["registrar"])


def test_registers_an_agency(anvil_w3: Web3, ledger: Contract, roles) -> None:
    receipt = register(anvil_w3, ledger, roles)
    assert events_of(ledger, receipt) == [
        ("AgencyRegistered", {"codeHash": code_hash("dukcapil"), "code": "dukcapil", "signer": SIGNER})
    ]
    assert ledger.functions.agency("dukcapil").call() == [SIGNER, ACTIVE, receipt["blockNumber"]]


def test_an_unregistered_code_reads_as_unknown(ledger: Contract) -> None:
    assert ledger.functions.agency("polri").call() == [ZERO_ADDRESS, UNKNOWN, 0]
    assert ledger.functions.agency("Not A Code!").call() == [ZERO_ADDRESS, UNKNOWN, 0]


@pytest.mark.parametrize("code", ["a", "0", "polri.sim-2", "kota-bandung.pengaduan", "z" * 32, "-.-"])
def test_accepts_every_valid_code(anvil_w3: Web3, ledger: Contract, roles, code: str) -> None:
    register(anvil_w3, ledger, roles, code)
    assert ledger.functions.agency(code).call()[1] == ACTIVE


@pytest.mark.parametrize(
    "code", ["", "Dukcapil", "duk capil", "duk_capil", "ktp/1", "a" * 33, "imigrasi@", "pajak\x00", "dinas-é"]
)
def test_rejects_an_invalid_code(ledger: Contract, roles, code: str) -> None:
    call = ledger.functions.registerAgency(code, SIGNER)
    assert revert_of(ledger, call, roles["registrar"]) == ("SaksiLedgerInvalidAgencyCode", (code,))


def test_rejects_a_zero_signer(anvil_w3: Web3, ledger: Contract, roles) -> None:
    call = ledger.functions.registerAgency("dukcapil", ZERO_ADDRESS)
    assert revert_of(ledger, call, roles["registrar"]) == ("SaksiLedgerZeroSigner", ())
    register(anvil_w3, ledger, roles)
    call = ledger.functions.rotateAgencySigner("dukcapil", ZERO_ADDRESS)
    assert revert_of(ledger, call, roles["registrar"]) == ("SaksiLedgerZeroSigner", ())


def test_rejects_registering_a_code_twice(anvil_w3: Web3, ledger: Contract, roles) -> None:
    register(anvil_w3, ledger, roles)
    call = ledger.functions.registerAgency("dukcapil", NEW_SIGNER)
    assert revert_of(ledger, call, roles["registrar"]) == ("SaksiLedgerAgencyExists", ("dukcapil",))


def test_rotates_the_signer(anvil_w3: Web3, ledger: Contract, roles) -> None:
    register(anvil_w3, ledger, roles)
    receipt = transact(anvil_w3, ledger.functions.rotateAgencySigner("dukcapil", NEW_SIGNER), roles["registrar"])
    assert events_of(ledger, receipt) == [
        (
            "AgencySignerRotated",
            {"codeHash": code_hash("dukcapil"), "code": "dukcapil", "previousSigner": SIGNER, "newSigner": NEW_SIGNER},
        )
    ]
    assert ledger.functions.agency("dukcapil").call() == [NEW_SIGNER, ACTIVE, receipt["blockNumber"]]


def test_rejects_rotating_an_unknown_agency(ledger: Contract, roles) -> None:
    call = ledger.functions.rotateAgencySigner("polri", NEW_SIGNER)
    assert revert_of(ledger, call, roles["registrar"]) == ("SaksiLedgerUnknownAgency", ("polri",))


def test_revokes_an_agency_and_keeps_its_signer(anvil_w3: Web3, ledger: Contract, roles) -> None:
    register(anvil_w3, ledger, roles)
    receipt = transact(anvil_w3, ledger.functions.revokeAgency("dukcapil"), roles["registrar"])
    assert events_of(ledger, receipt) == [
        ("AgencyRevoked", {"codeHash": code_hash("dukcapil"), "code": "dukcapil", "signer": SIGNER})
    ]
    assert ledger.functions.agency("dukcapil").call() == [SIGNER, REVOKED, receipt["blockNumber"]]


def test_rejects_revoking_an_unknown_agency(ledger: Contract, roles) -> None:
    call = ledger.functions.revokeAgency("polri")
    assert revert_of(ledger, call, roles["registrar"]) == ("SaksiLedgerUnknownAgency", ("polri",))


def test_a_revoked_agency_is_final(anvil_w3: Web3, ledger: Contract, roles) -> None:
    register(anvil_w3, ledger, roles)
    transact(anvil_w3, ledger.functions.revokeAgency("dukcapil"), roles["registrar"])
    expected = ("SaksiLedgerAgencyRevoked", ("dukcapil",))
    for call in (
        ledger.functions.rotateAgencySigner("dukcapil", NEW_SIGNER),
        ledger.functions.revokeAgency("dukcapil"),
        ledger.functions.registerAgency("dukcapil", NEW_SIGNER),
    ):
        assert revert_of(ledger, call, roles["registrar"]) == expected


def test_rejects_a_caller_without_the_registrar_role(anvil_w3: Web3, ledger: Contract, roles) -> None:
    register(anvil_w3, ledger, roles)
    for who in ("stranger", "anchorer", "admin"):
        for call in (
            ledger.functions.registerAgency("polri", SIGNER),
            ledger.functions.rotateAgencySigner("dukcapil", NEW_SIGNER),
            ledger.functions.revokeAgency("dukcapil"),
        ):
            assert revert_of(ledger, call, roles[who]) == (
                "AccessControlUnauthorizedAccount",
                (roles[who], REGISTRAR_ROLE),
            )

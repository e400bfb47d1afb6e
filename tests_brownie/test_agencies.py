"""The agency registry and the roles around it."""

import brownie
import saksi_errors as err
from brownie import web3

ZERO_ADDRESS = "0x" + "00" * 20
UNKNOWN, ACTIVE, REVOKED = 0, 1, 2  # SaksiLedger.AgencyStatus
CODE = "polri.satpas-bandung"


def test_register_rotate_revoke(saksi, registrar, accounts):
    code_hash = web3.keccak(text=CODE).to_0x_hex()
    assert tuple(saksi.agency(CODE)) == (ZERO_ADDRESS, UNKNOWN, 0)

    tx = saksi.registerAgency(CODE, accounts[5], {"from": registrar})
    assert tx.events["AgencyRegistered"] == {"codeHash": code_hash, "code": CODE, "signer": accounts[5]}
    assert tuple(saksi.agency(CODE)) == (accounts[5], ACTIVE, tx.block_number)

    tx = saksi.rotateAgencySigner(CODE, accounts[6], {"from": registrar})
    assert tx.events["AgencySignerRotated"] == {
        "codeHash": code_hash,
        "code": CODE,
        "previousSigner": accounts[5],
        "newSigner": accounts[6],
    }
    assert tuple(saksi.agency(CODE)) == (accounts[6], ACTIVE, tx.block_number)

    tx = saksi.revokeAgency(CODE, {"from": registrar})
    assert tx.events["AgencyRevoked"] == {"codeHash": code_hash, "code": CODE, "signer": accounts[6]}
    # The signer stays readable, so that events signed before the revocation can still be attributed.
    assert tuple(saksi.agency(CODE)) == (accounts[6], REVOKED, tx.block_number)


def test_a_revoked_agency_stays_revoked(saksi, registrar, accounts):
    saksi.registerAgency(CODE, accounts[5], {"from": registrar})
    saksi.revokeAgency(CODE, {"from": registrar})
    with brownie.reverts(err.agency_revoked(CODE)):
        saksi.rotateAgencySigner(CODE, accounts[6], {"from": registrar})
    with brownie.reverts(err.agency_revoked(CODE)):
        saksi.revokeAgency(CODE, {"from": registrar})
    with brownie.reverts(err.agency_revoked(CODE)):
        saksi.registerAgency(CODE, accounts[6], {"from": registrar})


def test_codes_are_registered_once_and_must_exist(saksi, registrar, accounts):
    saksi.registerAgency(CODE, accounts[5], {"from": registrar})
    with brownie.reverts(err.agency_exists(CODE)):
        saksi.registerAgency(CODE, accounts[6], {"from": registrar})
    with brownie.reverts(err.unknown_agency("imigrasi.surabaya")):
        saksi.rotateAgencySigner("imigrasi.surabaya", accounts[6], {"from": registrar})
    with brownie.reverts(err.unknown_agency("imigrasi.surabaya")):
        saksi.revokeAgency("imigrasi.surabaya", {"from": registrar})


def test_codes_and_signers_are_checked(saksi, registrar, accounts):
    for code in ("", "Dukcapil.jaksel", "dukcapil jaksel", "dukcapil_jaksel", "a" * 33, "dukcapil/jaksel"):
        with brownie.reverts(err.invalid_agency_code(code)):
            saksi.registerAgency(code, accounts[5], {"from": registrar})
    for code in ("a" * 32, "0-9.z", "x"):
        saksi.registerAgency(code, accounts[5], {"from": registrar})
        assert saksi.agency(code)[1] == ACTIVE

    with brownie.reverts(err.ZERO_SIGNER):
        saksi.registerAgency(CODE, ZERO_ADDRESS, {"from": registrar})
    saksi.registerAgency(CODE, accounts[5], {"from": registrar})
    with brownie.reverts(err.ZERO_SIGNER):
        saksi.rotateAgencySigner(CODE, ZERO_ADDRESS, {"from": registrar})


def test_roles_as_deployed(saksi, admin, anchorer, registrar):
    admin_role, anchorer_role, registrar_role = (
        saksi.DEFAULT_ADMIN_ROLE(),
        saksi.ANCHORER_ROLE(),
        saksi.REGISTRAR_ROLE(),
    )
    assert anchorer_role == web3.keccak(text="ANCHORER_ROLE").to_0x_hex()
    assert registrar_role == web3.keccak(text="REGISTRAR_ROLE").to_0x_hex()
    for role, holder in ((admin_role, admin), (anchorer_role, anchorer), (registrar_role, registrar)):
        assert saksi.getRoleAdmin(role) == admin_role
        for account in (admin, anchorer, registrar):
            assert saksi.hasRole(role, account) == (account == holder)


def test_only_the_registrar_role_manages_agencies(saksi, admin, anchorer, registrar, outsider, accounts):
    role = saksi.REGISTRAR_ROLE()
    saksi.registerAgency(CODE, accounts[5], {"from": registrar})
    for account in (admin, anchorer, outsider):
        with brownie.reverts(err.unauthorized(account, role)):
            saksi.registerAgency("imigrasi.surabaya", accounts[5], {"from": account})
        with brownie.reverts(err.unauthorized(account, role)):
            saksi.rotateAgencySigner(CODE, accounts[6], {"from": account})
        with brownie.reverts(err.unauthorized(account, role)):
            saksi.revokeAgency(CODE, {"from": account})

    # Only the admin hands out roles.
    with brownie.reverts(err.unauthorized(registrar, saksi.DEFAULT_ADMIN_ROLE())):
        saksi.grantRole(role, outsider, {"from": registrar})
    saksi.grantRole(role, outsider, {"from": admin})
    saksi.rotateAgencySigner(CODE, accounts[6], {"from": outsider})
    saksi.revokeRole(role, outsider, {"from": admin})
    with brownie.reverts(err.unauthorized(outsider, role)):
        saksi.revokeAgency(CODE, {"from": outsider})

"""SaksiLedger's custom errors as brownie 1.22.2 reports them, for `brownie.reverts(...)`.

brownie decodes a custom error with the ABIs of the contracts it has loaded and reports it in `revert_msg`
as `Name: arg, arg`: each argument is `str()` of what eth-abi decodes, so addresses come in lower case,
integers in decimal and bytes32 as a Python bytes literal; an error without arguments still gets the colon
and the space (`SaksiLedgerZeroRoot: `).
"""


def custom_error(name, *args):
    return f"{name}: {', '.join(str(arg) for arg in args)}"


def unauthorized(account, role):
    """OpenZeppelin's AccessControlUnauthorizedAccount(account, neededRole)."""
    return custom_error("AccessControlUnauthorizedAccount", account.address.lower(), bytes(role))


def tree_not_growing(latest_size, tree_size):
    return custom_error("SaksiLedgerTreeNotGrowing", latest_size, tree_size)


def invalid_consistency_proof(from_size, to_size):
    return custom_error("SaksiLedgerInvalidConsistencyProof", from_size, to_size)


def unknown_tree_size(tree_size):
    return custom_error("SaksiLedgerUnknownTreeSize", tree_size)


def invalid_agency_code(code):
    return custom_error("SaksiLedgerInvalidAgencyCode", code)


def agency_exists(code):
    return custom_error("SaksiLedgerAgencyExists", code)


def unknown_agency(code):
    return custom_error("SaksiLedgerUnknownAgency", code)


def agency_revoked(code):
    return custom_error("SaksiLedgerAgencyRevoked", code)


ZERO_ROOT = custom_error("SaksiLedgerZeroRoot")
ZERO_SIGNER = custom_error("SaksiLedgerZeroSigner")

"""Deploy SaksiLedger and register a demo agency: `brownie run deploy --network ganache-cli`.

Every role (admin, anchorer, registrar) goes to accounts[0]; the demo agency `dukcapil.jaksel` signs with
accounts[1]. Prints the contract's address.
"""

from brownie import SaksiLedger, accounts

DEMO_AGENCY = "dukcapil.jaksel"
ACTIVE = 1  # SaksiLedger.AgencyStatus.Active


def main():
    operator, signer = accounts[0], accounts[1]
    ledger = SaksiLedger.deploy(operator, operator, operator, {"from": operator})
    ledger.registerAgency(DEMO_AGENCY, signer, {"from": operator})

    registered_signer, status, _ = ledger.agency(DEMO_AGENCY)
    if registered_signer != signer or status != ACTIVE:
        raise RuntimeError(f"{DEMO_AGENCY} is not registered as expected: {registered_signer}, status {status}")
    print(f"SaksiLedger deployed at {ledger.address}")
    print(f"agency {DEMO_AGENCY} registered, signer {signer}")
    return ledger

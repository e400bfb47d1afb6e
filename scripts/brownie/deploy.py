"""brownie run scripts/brownie/deploy.py --network ganache-cli

Deploys SaksiLedger (every role to accounts[0]) and registers a demo agency signed by accounts[1].
"""

from brownie import SaksiLedger, accounts


def main():
    operator = accounts[0]
    ledger = SaksiLedger.deploy(operator, operator, operator, {"from": operator})
    ledger.registerAgency("dukcapil.jaksel", accounts[1], {"from": operator})
    signer, status, _ = ledger.agency("dukcapil.jaksel")
    assert signer == accounts[1] and status == 1
    print(f"SaksiLedger at {ledger.address}; dukcapil.jaksel signs with {accounts[1]}")
    return ledger

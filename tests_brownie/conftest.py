"""Fixtures of the brownie suite (`brownie test --network ganache-cli`, through scripts/brownie.sh).

One SaksiLedger per test module, with the three roles on three accounts; `fn_isolation` reverts the
chain after every test (and brownie's `given` after every Hypothesis example), so each test starts
from the freshly deployed, empty ledger.

brownie 1.22.2 quirks the tests work around: a call's ReturnValue compared with a tuple holding plain ints
or strings raises TypeError (brownie's mypyc-compiled comparison), so results are compared as
`tuple(...)`; a bytes32 result (HexString) cannot be compared with web3's HexBytes, so hashes are
compared as 0x-prefixed hex strings.
"""

import pytest


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture(scope="module")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def anchorer(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def registrar(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def outsider(accounts):
    return accounts[9]


@pytest.fixture(scope="module")
def saksi(SaksiLedger, admin, anchorer, registrar):
    return SaksiLedger.deploy(admin, anchorer, registrar, {"from": admin})

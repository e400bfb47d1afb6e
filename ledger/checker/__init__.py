"""The code that checks the server, apart from the server: `saksi verify`, the witness monitor, the agency
client and `saksi submit` (and next the witness).

It trusts nothing the server runs: it imports only the pure core (:mod:`ledger.core`), the error tree,
the settings file's reader and the chain's key-less reads (:mod:`ledger.chain.reader`), never
``ledger.services``, ``ledger.storage``, ``ledger.runtime`` or ``api``; an import-linter contract in
pyproject.toml holds it to that.
"""

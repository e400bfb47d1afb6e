"""`saksi witness`: a c2sp.org/tlog-witness@v1 witness, run by an oversight body on its own machine.

It is on the checking side of the trust boundary: it imports only the pure core (ledger.core), the
error tree and its own modules, never the server (an import-linter contract in pyproject.toml), and it
keeps its state in plain files (ledger.witness.files), not in the ledger's database.
"""

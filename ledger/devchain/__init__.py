"""Dev chains for development and tests: anvil and ganache launched from node_modules, funded, deployed.

Not part of the server: `saksi init` against a dev chain id (31337, 1337) funds the operator through it,
and nothing else in the ledger imports it.
"""

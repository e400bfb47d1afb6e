"""Node fixtures for the chain tests (defined in tests/chain/support.py, shared with tests/services)."""

from tests.chain.support import anvil_node, ganache_node  # noqa: F401 - fixtures

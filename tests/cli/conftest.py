from tests.api.conftest import client, clock, ledger, settings  # noqa: F401 - shared fixtures

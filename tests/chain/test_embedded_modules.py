"""The embedded chain's modules import one way: the RPC method table, then the node, then the child
process and the provider with the chain port; no module imports back (lazily or for types), so each can
be read and changed on its own."""

from __future__ import annotations

import grimp

ORDER = [
    "ledger.chain.embedded_rpc",
    "ledger.chain.embedded_node",
    "ledger.chain.embedded_process",
    "ledger.chain.embedded",
]


def test_the_embedded_modules_import_one_way():
    graph = grimp.build_graph("ledger")
    for i, lower in enumerate(ORDER):
        for higher in ORDER[i + 1 :]:
            assert graph.find_shortest_chain(importer=lower, imported=higher) is None, f"{lower} imports {higher}"
    assert graph.direct_import_exists(importer="ledger.chain.embedded", imported="ledger.chain.embedded_process")
    assert graph.direct_import_exists(importer="ledger.chain.embedded_process", imported="ledger.chain.embedded_node")


def test_the_node_keeps_its_public_names_where_callers_find_them():
    from ledger.chain import embedded, embedded_node

    for name in ("EmbeddedNode", "EmbeddedSettings", "ReadOnlyEmbeddedNode", "ChainDataError", "RpcError"):
        assert getattr(embedded, name) is getattr(embedded_node, name)

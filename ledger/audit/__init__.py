"""The integrity audit: recompute the whole ledger from its rows and compare it with itself and the chain.

Like tessera's fsck, the log is checked by streaming it: pages of leaves (perfect subtrees) go through a
pure check (:mod:`ledger.audit.page`, on bytes, with the same ``ledger.core`` functions, held to the same
golden vectors, that append and the browser use), their right edges fold into a compact range, and the
rest of the audit runs as numbered phases (:data:`ledger.audit.phases.PHASES`), each returning its
discrepancies. Every read of the database goes through :class:`ledger.storage.audit_scan.AuditScan`; the
chain is read through :class:`ledger.audit.inputs.ChainReader`, without any key.

- :mod:`ledger.audit.report`: the discrepancy kinds, a discrepancy, the report, its scope and cursor;
- :mod:`ledger.audit.inputs`: the trust inputs (the chain's anchors, roots and registry);
- :mod:`ledger.audit.page`: one page of rows, checked (in worker processes);
- :mod:`ledger.audit.tree`: the pages' trees merged, and each difference attributed;
- :mod:`ledger.audit.anchoring` and :mod:`ledger.audit.records`: what other tables and the chain restate;
- :mod:`ledger.audit.phases`: the numbered phases; :mod:`ledger.audit.run`: :class:`Auditor`, the pool.

Exit codes (CLI): 0 clean, 1 discrepancies, 2 could not run.
"""

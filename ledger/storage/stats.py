"""The range queries the public statistics fold in (ledger.services.stats): scans on leaf_index and key
lookups on (case_commitment, case_seq), the same SQL on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable

from ledger.storage.queries import Queries


class StatsQueries(Queries):
    def stats_of_range(
        self, start: int, end: int, terminal_types: Iterable[str], bucket_s: int
    ) -> tuple[list[tuple[str, int, int, int, int]], list[tuple[str, int, int, int]], int]:
        """What leaves [start, end) add to the public statistics (ledger.services.stats), by range
        scans on leaf_index and key lookups on (case_commitment, case_seq):

        - (agency, day number of occurredAt, events, cases opened, complaint cases opened);
        - (opening agency, time-to-completion bucket of `bucket_s` seconds, cases, their seconds
          summed) for cases whose first terminal event (in caseSeq order) lies in the range; a
          terminal event dated before the opening counts as 0 s (/ on a negative span would also
          round differently in the two databases);
        - complaint cases (opened by complaint.filed) whose first complaint.resolved lies in the range.
        """
        terminal = sorted(terminal_types)
        marks = ", ".join("?" * len(terminal))
        seconds = "CASE WHEN t.occurred_at > o.occurred_at THEN t.occurred_at - o.occurred_at ELSE 0 END"
        bucket = f"({seconds}) / {int(bucket_s)}"
        volumes = self._all(  # occurredAt is at least 1, so / is floor division
            "SELECT agency, occurred_at / 86400, COUNT(*), SUM(CASE WHEN case_seq = 1 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN case_seq = 1 AND event_type = 'complaint.filed' THEN 1 ELSE 0 END) "
            "FROM events WHERE leaf_index >= ? AND leaf_index < ? GROUP BY agency, occurred_at / 86400",
            (start, end),
        )
        done = self._all(
            f"SELECT o.agency, {bucket}, COUNT(*), SUM({seconds}) "
            "FROM events t JOIN events o ON o.case_commitment = t.case_commitment AND o.case_seq = 1 "
            f"WHERE t.leaf_index >= ? AND t.leaf_index < ? AND t.event_type IN ({marks}) "
            "AND NOT EXISTS (SELECT 1 FROM events p WHERE p.case_commitment = t.case_commitment "
            f"AND p.case_seq < t.case_seq AND p.event_type IN ({marks})) "
            f"GROUP BY o.agency, {bucket}",
            (start, end, *terminal, *terminal),
        )
        ((resolved,),) = self._all(
            "SELECT COUNT(*) FROM events t JOIN events o ON o.case_commitment = t.case_commitment "
            "AND o.case_seq = 1 AND o.event_type = 'complaint.filed' "
            "WHERE t.leaf_index >= ? AND t.leaf_index < ? AND t.event_type = 'complaint.resolved' "
            "AND NOT EXISTS (SELECT 1 FROM events p WHERE p.case_commitment = t.case_commitment "
            "AND p.case_seq < t.case_seq AND p.event_type = 'complaint.resolved')",
            (start, end),
        )
        return [tuple(r) for r in volumes], [tuple(r) for r in done], resolved

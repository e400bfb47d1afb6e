"""`saksi audit --html FILE`: the audit report as one self-contained HTML page.

Inline CSS and inline SVG charts (discrepancies per kind, events received per day); no script,
no font, no image and no stylesheet is fetched, so the file can be mailed, archived or opened
offline. Every string from the ledger is escaped. Bahasa Indonesia by default, English on request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from ledger.audit.report import KINDS, AuditReport
from ledger.storage.sql import Reader

DAY_MS = 86_400_000
MAX_ROWS = 1000  # discrepancies listed in the table; the counts and the JSON report carry all of them

LABELS = {
    "id": {
        "title": "Laporan audit Saksi",
        "clean": "Bersih: tidak ada selisih",
        "dirty": "{n} selisih ditemukan",
        "tree_size": "Ukuran pohon",
        "incremental": "Audit inkremental sejak daun",
        "events": "Peristiwa diperiksa",
        "signatures": "Tanda tangan diperiksa",
        "checkpoints": "Checkpoint diperiksa",
        "anchors": "Jangkar diperiksa",
        "erasures": "Penghapusan sah",
        "by_kind": "Selisih per jenis",
        "per_day": "Peristiwa diterima per hari (UTC)",
        "none": "tidak ada",
        "list": "Daftar selisih",
        "shown": "{shown} dari {total} ditampilkan; laporan JSON memuat semuanya.",
        "kind": "jenis",
        "leaf": "daun",
        "agency": "instansi",
        "event": "peristiwa",
        "size": "ukuran",
        "detail": "rincian",
        "generated": "Dibuat",
        "scope": "Cakupan",
        "scope_leaves": "Diperiksa: daun {a}–{b} dari {n}, pada {when}",
        "scope_chain": "Dibandingkan dengan blockchain (rantai {chain}, kontrak {contract}) sampai blok {block}",
        "scope_no_chain": "Blockchain TIDAK diperiksa: jangkar tidak dibandingkan",
        "scope_not": "Tidak diperiksa: {items}",
        "scope_unknown": "Laporan ini tidak menyebut cakupannya",
    },
    "en": {
        "title": "Saksi audit report",
        "clean": "Clean: no discrepancies",
        "dirty": "{n} discrepancies found",
        "tree_size": "Tree size",
        "incremental": "Incremental audit from leaf",
        "events": "Events checked",
        "signatures": "Signatures checked",
        "checkpoints": "Checkpoints checked",
        "anchors": "Anchors checked",
        "erasures": "Lawful erasures",
        "by_kind": "Discrepancies per kind",
        "per_day": "Events received per day (UTC)",
        "none": "none",
        "list": "Discrepancies",
        "shown": "{shown} of {total} shown; the JSON report has all of them.",
        "kind": "kind",
        "leaf": "leaf",
        "agency": "agency",
        "event": "event",
        "size": "size",
        "detail": "detail",
        "generated": "Generated",
        "scope": "Scope",
        "scope_leaves": "Checked: leaves {a}–{b} of {n}, at {when}",
        "scope_chain": "Compared with the blockchain (chain {chain}, contract {contract}) up to block {block}",
        "scope_no_chain": "The blockchain was NOT checked: anchors were not compared",
        "scope_not": "Not checked: {items}",
        "scope_unknown": "This report does not state its scope",
    },
}

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:980px;margin:0 auto;padding:24px 16px}
h1{font-size:1.5rem;margin:0 0 12px}h2{font-size:1.1rem;margin:28px 0 8px}
.verdict{padding:12px 16px;border-radius:6px;font-weight:600;font-size:1.1rem}
.clean{background:#e3f4e8;color:#14532d;border:1px solid #8fd3a4}
.dirty{background:#fde8e8;color:#7f1d1d;border:1px solid #f1a1a1}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px;margin-top:12px}
.stat{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px 12px}
.stat b{display:block;font-size:1.25rem}.stat span{color:#5b6474;font-size:.85rem}
figure{margin:0;background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px}
svg{width:100%;height:auto;display:block}svg text{font-size:12px;fill:#1d2330}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.85rem}
th,td{border:1px solid #dde1e7;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eef0f4}td.mono{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}td.kind{white-space:nowrap}
.muted{color:#5b6474;font-size:.85rem}
"""


def events_per_day(reader: Reader) -> dict[str, int]:
    """Events received per UTC day ("YYYY-MM-DD" -> count), for the report's second chart."""
    return {
        dt.datetime.fromtimestamp(d * 86_400, dt.UTC).date().isoformat(): n for d, n in reader.events_per_day().items()
    }


def render_audit_html(
    report: AuditReport | Mapping[str, Any],
    per_day: Mapping[str, int] | None = None,
    *,
    lang: str = "id",
    generated_at: str | None = None,
) -> str:
    """The report (an :class:`AuditReport` or its ``to_json()`` form) as one HTML document."""
    data = report.to_json() if isinstance(report, AuditReport) else dict(report)
    t = LABELS["en" if lang == "en" else "id"]
    found: Sequence[Mapping[str, Any]] = data.get("discrepancies", [])
    counts: Mapping[str, int] = data.get("discrepancyCounts") or _count(found)
    total = sum(counts.values())
    verdict = (
        f'<p class="verdict clean">{escape(t["clean"])}</p>'
        if total == 0
        else f'<p class="verdict dirty">{escape(t["dirty"].format(n=f"{total:,}"))}</p>'
    )
    stats = [
        (t["tree_size"], data.get("treeSize", 0)),
        (t["events"], data.get("eventsChecked", 0)),
        (t["signatures"], data.get("signaturesChecked", 0)),
        (t["checkpoints"], data.get("checkpointsChecked", 0)),
        (t["anchors"], data.get("anchorsChecked", 0)),
        (t["erasures"], data.get("lawfulErasures", 0)),
    ]
    if data.get("incrementalFrom"):
        stats.append((t["incremental"], data["incrementalFrom"]))
    grid = "".join(f'<div class="stat"><b>{int(v):,}</b><span>{escape(k)}</span></div>' for k, v in stats)
    ordered = sorted(counts.items(), key=lambda kv: (KINDS.index(kv[0]) if kv[0] in KINDS else len(KINDS), kv[0]))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"en" if lang == "en" else "id"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{escape(t['title'])}</title><style>{STYLE}</style></head><body><main>",
        f"<h1>{escape(t['title'])}</h1>",
        verdict,
        f'<div class="grid">{grid}</div>',
        f"<h2>{escape(t['scope'])}</h2>",
        _scope(data.get("scope"), t),
        f"<h2>{escape(t['by_kind'])}</h2>",
        f"<figure>{_bar_chart(ordered, t['none'])}</figure>",
    ]
    if per_day is not None:
        parts += [f"<h2>{escape(t['per_day'])}</h2>", f"<figure>{_column_chart(per_day, t['none'])}</figure>"]
    if found:
        parts += [f"<h2>{escape(t['list'])}</h2>", _table(found, t)]
    if generated_at:
        parts.append(f'<p class="muted">{escape(t["generated"])}: {escape(generated_at)}</p>')
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _scope(scope: Mapping[str, Any] | None, t: Mapping[str, str]) -> str:
    """What the audit checked, when, up to which size, and what it did not."""
    if not scope:
        return f'<p class="muted">{escape(t["scope_unknown"])}</p>'
    from datetime import UTC, datetime

    size = int(scope.get("treeSize", 0))
    when = datetime.fromtimestamp(int(scope.get("auditedAt", 0)) / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        t["scope_leaves"].format(
            a=f"{int(scope.get('fromLeaf', 0)):,}", b=f"{max(size - 1, 0):,}", n=f"{size:,}", when=when
        )
    ]
    chain = scope.get("chain")
    if chain:
        lines.append(
            t["scope_chain"].format(
                chain=chain.get("chainId"), contract=chain.get("contract"), block=chain.get("headBlock")
            )
        )
    else:
        lines.append(t["scope_no_chain"])
    others = [str(x) for x in scope.get("notChecked", ()) if x != "chain"]
    if others:
        lines.append(t["scope_not"].format(items=", ".join(others)))
    if scope.get("incremental"):
        lines.append(str(scope["incremental"].get("reason", "")))
    return "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>"


def _count(found: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in found:
        out[d["kind"]] = out.get(d["kind"], 0) + 1
    return out


def _bar_chart(items: Sequence[tuple[str, int]], empty: str) -> str:
    """Horizontal bars, one per discrepancy kind."""
    width, label_w, row_h = 720, 210, 24
    if not items:
        return f'<svg viewBox="0 0 {width} 40" role="img"><text x="8" y="24">{escape(empty)}</text></svg>'
    top = max(n for _, n in items)
    height = row_h * len(items) + 8
    bars = []
    for i, (kind, n) in enumerate(items):
        y = 4 + i * row_h
        w = max(2.0, (width - label_w - 70) * n / top)
        bars.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{escape(kind)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="#c2410c">'
            f"<title>{escape(kind)}: {n:,}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + 16}">{n:,}</text>'
        )
    return f'<svg viewBox="0 0 {width} {height}" role="img">{"".join(bars)}</svg>'


def _column_chart(per_day: Mapping[str, int], empty: str) -> str:
    """Columns, one per day, with the first and last day and the peak labelled."""
    width, height, left, bottom, top_pad = 720, 220, 56, 28, 12
    days = sorted(per_day)
    if not days:
        return f'<svg viewBox="0 0 {width} 40" role="img"><text x="8" y="24">{escape(empty)}</text></svg>'
    peak = max(per_day.values()) or 1
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    step = plot_w / len(days)
    bar_w = max(1.0, step * 0.8)
    cols = []
    for i, day in enumerate(days):
        n = per_day[day]
        h = plot_h * n / peak
        x = left + i * step
        cols.append(
            f'<rect x="{x:.2f}" y="{top_pad + plot_h - h:.2f}" width="{bar_w:.2f}" height="{h:.2f}" fill="#1d4ed8">'
            f"<title>{escape(day)}: {n:,}</title></rect>"
        )
    axis = (
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 8}" y2="{top_pad + plot_h}" stroke="#8b93a1"/>'
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + plot_h}" stroke="#8b93a1"/>'
        f'<text x="{left - 6}" y="{top_pad + 10}" text-anchor="end">{peak:,}</text>'
        f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end">0</text>'
        f'<text x="{left}" y="{height - 8}">{escape(days[0])}</text>'
    )
    if len(days) > 1:
        axis += f'<text x="{width - 8}" y="{height - 8}" text-anchor="end">{escape(days[-1])}</text>'
    return f'<svg viewBox="0 0 {width} {height}" role="img">{axis}{"".join(cols)}</svg>'


def _table(found: Sequence[Mapping[str, Any]], t: Mapping[str, str]) -> str:
    head = "".join(f"<th>{escape(t[k])}</th>" for k in ("kind", "leaf", "agency", "event", "size", "detail"))
    rows = []
    for d in found[:MAX_ROWS]:
        cells = [d.get("leafIndex"), d.get("agency"), d.get("eventId"), d.get("treeSize")]
        rows.append(
            f'<tr><td class="kind">{escape(str(d.get("kind", "")))}</td>'
            + "".join(f"<td>{'' if c is None else escape(str(c))}</td>" for c in cells)
            + f'<td class="mono">{escape(str(d.get("detail", "")))}</td></tr>'
        )
    note = (
        f'<p class="muted">{escape(t["shown"].format(shown=f"{MAX_ROWS:,}", total=f"{len(found):,}"))}</p>'
        if len(found) > MAX_ROWS
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"

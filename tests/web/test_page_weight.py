"""The citizen page's first load stays within 60 KB compressed (issue 19, for mobile data in remote areas):
the page, what it links (stylesheet, icon, its module) and every chunk that module imports statically,
each gzip -9 as a compressing server or CDN sends it. Code only some visits need (the receipt's QR
encoder) is a chunk loaded on demand and is not counted. A size, not a timing: it cannot flake."""

from __future__ import annotations

import gzip
import re

BUDGET = 60 * 1024
_LINKED = re.compile(r'(?:href|src)="/static/([^"]+)"')
_STATIC_IMPORT = re.compile(r'(?:from|import)\s*"\./(chunk-[^"]+\.js)"')  # import("…") (on demand) excluded


def first_load(dist, page: str) -> dict[str, int]:
    sizes = {page: len(gzip.compress((dist / page).read_bytes(), 9))}
    queue = _LINKED.findall((dist / page).read_text())
    while queue:
        name = queue.pop()
        if name in sizes:
            continue
        data = (dist / name).read_bytes()
        sizes[name] = len(gzip.compress(data, 9))
        if name.endswith(".js"):
            queue += _STATIC_IMPORT.findall(data.decode())
    return sizes


def test_the_citizen_pages_first_load_is_within_60_kb_compressed(built_pages) -> None:
    sizes = first_load(built_pages, "citizen.html")
    assert "citizen.js" in sizes and "saksi.css" in sizes
    assert not any("receipt" in name for name in sizes), "the QR encoder is loaded on demand"
    assert sum(sizes.values()) <= BUDGET, sizes

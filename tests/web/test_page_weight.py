"""The citizen page's first load stays within 60 KB compressed (issue 19, for mobile data in remote areas):
the page, what it links (stylesheet, icon, its module) and every chunk that module imports statically, as
`saksi serve` sends them to a browser over HTTPS (brotli, the files `npm run build:web` writes beside each
asset; browsers ask for it only over HTTPS); over plain HTTP they get the gzip files, reported beside.
Code only some visits need (the receipt's QR encoder, the receipt checker and its QR decoder) is a
chunk loaded on demand and is not counted. A size, not a timing: it cannot flake."""

from __future__ import annotations

import gzip
import re

BUDGET = 60_000
_LINKED = re.compile(r'(?:href|src)="/static/([^"]+)"')
_STATIC_IMPORT = re.compile(r'(?:from|import)\s*"\./(chunk-[^"]+\.js)"')  # import("…") (on demand) excluded


def first_load(dist, page: str, suffix: str = ".br") -> dict[str, int]:
    """Bytes sent per file of the page's first load, as stored with `suffix` (".br", ".gz")."""
    sizes = {page: (dist / (page + suffix)).stat().st_size}
    queue = _LINKED.findall((dist / page).read_text())
    while queue:
        name = queue.pop()
        if name in sizes:
            continue
        sizes[name] = (dist / (name + suffix)).stat().st_size
        if name.endswith(".js"):
            queue += _STATIC_IMPORT.findall((dist / name).read_text())
    return sizes


def test_the_citizen_pages_first_load_is_within_60_kb_compressed(built_pages) -> None:
    sizes = first_load(built_pages, "citizen.html")
    assert "citizen.js" in sizes and "saksi.css" in sizes
    assert not any("receipt" in name or "jsQR" in name for name in sizes), "loaded on demand"
    assert sum(sizes.values()) <= BUDGET, sizes
    for name in sizes:  # the compressed files are the files
        assert gzip.decompress((built_pages / (name + ".gz")).read_bytes()) == (built_pages / name).read_bytes()

"""The web pages: the citizen page at `/`, the auditor dashboard at `/audit`, their assets at `/static/`.

The pages and their scripts are built by `npm run build:web` into `api/static/dist/` (sources in
`web/`). Everything they load comes from this server; the Content-Security-Policy allows nothing
else, except that the citizen page may call the public JSON-RPC endpoint configured as
`public_rpc_url`, to read anchored roots from the chain itself.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import FileResponse, Response

from api.problems import problem_response
from api.state import app_state

DIST = Path(__file__).resolve().parents[1] / "static" / "dist"

router = APIRouter(include_in_schema=False)

_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
}
_ASSET_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_SOURCE_RE = re.compile(r"[A-Za-z0-9.\-\[\]:]+")


def rpc_source(url: str) -> str | None:
    """The CSP source (scheme://host[:port]) of the public RPC URL, or None if it is not a plain http(s) URL."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or not _SOURCE_RE.fullmatch(parts.netloc):
        return None
    if "@" in parts.netloc:
        return None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def content_security_policy(public_rpc_url: str = "") -> str:
    connect = "'self'"
    source = rpc_source(public_rpc_url)
    if source:
        connect += f" {source}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
        f"connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _security_headers(request: Request) -> dict[str, str]:
    rpc = app_state(request.app).ledger.settings.public_rpc_url
    return {
        "Content-Security-Policy": content_security_policy(rpc),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-cache",
    }


def _not_built() -> Response:
    return problem_response(
        503, "web-not-built", "the web pages are not built on this server: run `npm run build:web` (or `make setup`)"
    )


# `npm run build:web` writes each page and asset compressed beside it (web/build.mjs): served as is to a
# client that accepts it, so a phone on mobile data downloads the pages compressed, at no CPU per request.
_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def _accepted(header: str) -> set[str]:
    """The codings an Accept-Encoding header accepts (listed with q > 0; `*` stands for any)."""
    out, anything = set(), False
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            anything |= name == "*"
            out.add(name)
    return out | ({"br", "gzip"} if anything else set())


def _file(request: Request, path: Path) -> Response:
    if not path.is_file():
        return _not_built()
    headers = {**_security_headers(request), "Vary": "Accept-Encoding"}
    accepted = _accepted(request.headers.get("accept-encoding", ""))
    for coding, suffix in _ENCODINGS:
        compressed = path.with_name(path.name + suffix)
        if coding in accepted and compressed.is_file():
            return FileResponse(
                compressed,
                media_type=_CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
                headers={**headers, "Content-Encoding": coding},
            )
    return FileResponse(path, media_type=_CONTENT_TYPES.get(path.suffix, "application/octet-stream"), headers=headers)


@router.api_route("/", methods=["GET", "HEAD"])
async def citizen_page(request: Request) -> Response:
    """The citizen page: look up, verify and keep a case, file a complaint."""
    return _file(request, DIST / "citizen.html")


@router.api_route("/sw.js", methods=["GET", "HEAD"])
async def service_worker(request: Request) -> Response:
    """The citizen page's service worker (web/sw.js): its own code kept for use with no network. At the
    root, so that its scope is the page; never cached by HTTP, so that a new build is found at once."""
    return _file(request, DIST / "sw.js")


@router.api_route("/manifest.webmanifest", methods=["GET", "HEAD"])
async def web_manifest(request: Request) -> Response:
    """The citizen page as an installable web app."""
    return _file(request, DIST / "manifest.webmanifest")


@router.api_route("/audit", methods=["GET", "HEAD"])
async def audit_page(request: Request) -> Response:
    """The auditor dashboard."""
    return _file(request, DIST / "audit.html")


@router.api_route("/docs", methods=["GET", "HEAD"])
async def api_docs(request: Request) -> Response:
    """The interactive API documentation: Swagger UI, from this server's own assets."""
    if not (DIST / "swagger-ui-bundle.js").is_file():
        return _not_built()
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} API",
        swagger_js_url="/static/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
        swagger_ui_parameters={"validatorUrl": None},  # else the page asks validator.swagger.io about the spec
    )
    page.headers.update({k: v for k, v in _security_headers(request).items() if k != "Content-Security-Policy"})
    # Swagger UI starts from an inline script: allowed by its hash, nothing else inline
    page.headers["Content-Security-Policy"] = _docs_policy(page.body)
    return page


def _docs_policy(html: bytes) -> str:
    scripts = re.findall(rb"<script>(.*?)</script>", html, flags=re.S)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in scripts)
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


@router.api_route("/static/{name}", methods=["GET", "HEAD"])
async def asset(request: Request, name: str) -> Response:
    """A built asset (flat directory: no sub-paths, no dot files)."""
    path = DIST / name
    if not _ASSET_RE.fullmatch(name) or path.suffix not in _CONTENT_TYPES or not path.is_file():
        return problem_response(404, "not-found", f"no asset {name!r}")
    if path.resolve().parent != DIST.resolve():
        return problem_response(404, "not-found", f"no asset {name!r}")
    return _file(request, path)

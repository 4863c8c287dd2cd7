"""The static files (``static/``) in memory: content-hashed URLs, compressed forms, ETags.

A page names every static file by ``url(path)``: ``/static/<digest>/<path>``, where the digest is
that of the file's folder (every file in it, names and bytes). Such a URL never changes its
content, so it is served cached for a year (``immutable``): a revisit makes no request for it.
One digest per folder, not per file, keeps the ES modules' relative imports (``./frames.js``)
working: they resolve to the same digest. And a change to a module does not make a reader fetch
Plotly again (``vendor/`` has its own digest).

Beside each module ``js/x.js`` the tree serves ``js/x.bundle.js``: the module and everything it
imports as one script (``app.export.bundle``), made from the files when first asked for. The
pages load their entry so, in one request instead of one per module (docs/FRONTEND.md measures
it against preloading each module).

The plain ``/static/<path>`` still answers (``no-cache``: revalidated with its ETag, 304 when
unchanged), for anything that names a file directly. Each file is compressed once per process,
when first asked for: gzip (level 9) and brotli (quality 11, or 9 for files past
``BROTLI_MAX_QUALITY_BYTES``: quality 11 spends 1.7 s on the 1.1 MB Plotly bundle for 9 % fewer
bytes, and the first reader would wait for it).
"""

import gzip
import hashlib
import logging
import mimetypes
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path

import brotli

from app.export.bundle import BundleError, bundle_sources, parse_module

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent / "static"
DIGEST_CHARS = 12
YEAR_S = 31_536_000
BROTLI_MAX_QUALITY_BYTES = 262_144
COMPRESSIBLE = ("text/", "application/javascript", "image/svg+xml", "application/json")
ENCODINGS = ("br", "gzip")  # preferred first
BUNDLE = ".bundle.js"
MODULES = "js/"  # the app's ES modules, the only files with bundles
# What every page loads (templates/base.html): the front end's entry as one bundle.
PAGE_ASSETS = {"stylesheet": "css/app.css", "plotly": "vendor/plotly.min.js",
               "entry": "js/main.bundle.js"}  # fmt: skip


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Asset:
    """One static file: its bytes, type, ETag, and its compressed forms (made when first asked)."""

    path: str
    data: bytes
    media_type: str
    _encoded: dict[str, bytes] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def etag(self) -> str:
        """Weak: one tag for every encoding of the same bytes."""
        return f'W/"{_sha256(self.data)[:32]}"'

    @property
    def compressible(self) -> bool:
        return self.media_type.startswith(COMPRESSIBLE) and len(self.data) > 256

    def encoded(self, encoding: str) -> bytes:
        """The bytes in ``encoding`` (``br``, ``gzip`` or ``identity``)."""
        if encoding == "identity":
            return self.data
        with self._lock:
            if encoding not in self._encoded:
                if encoding == "br":
                    big = len(self.data) > BROTLI_MAX_QUALITY_BYTES
                    self._encoded[encoding] = brotli.compress(self.data, quality=9 if big else 11)
                else:
                    self._encoded[encoding] = gzip.compress(self.data, 9, mtime=0)
            return self._encoded[encoding]

    def negotiate(self, accept_encoding: str) -> str:
        """The encoding to send for an ``Accept-Encoding`` header (``identity`` when none fits)."""
        if not self.compressible:
            return "identity"
        accepted = {}
        for item in accept_encoding.lower().split(","):
            name, _, params = item.strip().partition(";")
            q = params.strip().removeprefix("q=")
            try:
                accepted[name.strip()] = float(q) if q else 1.0
            except ValueError:
                continue
        for encoding in ENCODINGS:
            if accepted.get(encoding, accepted.get("*", 0.0)) > 0:
                return encoding
        return "identity"


class StaticTree:
    """Every file under ``root``, read once; each folder's digest (module docstring)."""

    def __init__(self, root: Path = ROOT) -> None:
        self.root = root
        self.assets: dict[str, Asset] = {}
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            path = file.relative_to(root).as_posix()
            media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            if media_type in ("text/javascript", "application/javascript") or path.endswith(".mjs"):
                media_type = "text/javascript"
            self.assets[path] = Asset(path, file.read_bytes(), media_type)
        self.digests = {
            folder: self._digest(a for a in self.assets.values() if _folder(a.path) == folder)
            for folder in {_folder(path) for path in self.assets}
        }

    @staticmethod
    def _digest(assets: Iterable[Asset]) -> str:
        h = hashlib.sha256()
        for asset in assets:
            h.update(f"{asset.path}\0{len(asset.data)}\0".encode())
            h.update(asset.data)
        return h.hexdigest()[:DIGEST_CHARS]

    def url(self, path: str) -> str:
        """The content-hashed URL of the file at ``path`` (relative to ``static/``), or of a
        module's bundle (``js/main.bundle.js``)."""
        if _module(path) not in self.assets:
            raise KeyError(f"no static file {path!r}")
        return f"/static/{self.digests[_folder(path)]}/{path}"

    def lookup(self, url_path: str) -> tuple[Asset, bool] | None:
        """The asset a path under ``/static/`` names, and whether it was content-hashed."""
        digest, _, rest = url_path.partition("/")
        if _module(rest) in self.assets and self.digests[_folder(rest)] == digest:
            return self.asset(rest), True
        return (self.asset(url_path), False) if _module(url_path) in self.assets else None

    def asset(self, path: str) -> Asset:
        """The file at ``path``, or the bundle of the module it names (``_module``'s rule)."""
        if _module(path) != path:
            return self._bundle(path)
        return self.assets[path]

    @cache  # noqa: B019 (one tree per process; a bundle per module in js/)
    def loadable(self, path: str) -> str:
        """``path`` (a bundle) if the bundler reads every module it needs, else the module itself,
        whose imports the browser then fetches one by one: a module the bundler refuses costs
        the page its speed, not its function (tests/export/test_bundle.py fails on it)."""
        try:
            self.asset(path)
        except BundleError as error:
            logger.warning("serving %s unbundled: %s", _module(path), error)
            return _module(path)
        return path

    @cache  # noqa: B019 (one tree per process; a bundle per module in js/)
    def _bundle(self, path: str) -> Asset:
        return Asset(path, self.bundle(_module(path)).encode(), "text/javascript")

    def bundle(self, entry: str) -> str:
        """The module ``entry`` and everything it imports as one module script."""
        sources = {path: self.text(path) for path in self.assets if path.endswith(".js")}
        return bundle_sources(sources, entry)

    def text(self, path: str) -> str:
        """The file at ``path`` as UTF-8 text."""
        return self.assets[path].data.decode("utf-8")

    def warm(self) -> None:
        """Bundle every entry module (one that no module imports) and compress every file now,
        not for the first reader (run off the event loop at start-up)."""
        modules = [p for p in self.assets if p.startswith(MODULES) and p.endswith(".js")]
        imported: set[str] = set()
        for path in modules:
            try:
                imported |= set(parse_module(path, self.text(path)).imports)
            except BundleError:
                continue  # its bundles are served unbundled (``loadable``)
        bundles = [path.removesuffix(".js") + BUNDLE for path in modules if path not in imported]
        for path in (*self.assets, *(b for b in bundles if self.loadable(b) == b)):
            asset = self.asset(path)
            for encoding in ENCODINGS if asset.compressible else ():
                asset.encoded(encoding)


def _module(path: str) -> str:
    """The module a bundle's path names (``js/main.bundle.js`` -> ``js/main.js``); any other
    path as it is. Only the app's modules (``js/``) have bundles: ``vendor/plotly.min.js`` is a
    classic script, and a name nobody links to must not make the server bundle anything."""
    if path.endswith(BUNDLE) and path.startswith(MODULES):
        return path.removesuffix(BUNDLE) + ".js"
    return path


def _folder(path: str) -> str:
    return path.rpartition("/")[0]


@lru_cache(maxsize=1)
def static_tree() -> StaticTree:
    """The process's static tree, read on first use (files do not change while it runs)."""
    return StaticTree()

"""A small bundler for the front end's ES modules: one script from a module graph.

A page opened from disk (``file://``) cannot load a module graph (each import would be a request,
and browsers refuse them from ``file:``), so the standalone HTML export inlines the graph as one
module script. Each module becomes a function scope evaluated once, in dependency order; its
imports become reads of the modules it depends on, its exports the object the scope returns::

    // js/config.js
    const __m_js_config = await (async () => {
      export const SPEEDS = [...];          ->  const SPEEDS = [...];
      ...
      return Object.freeze({ SPEEDS, ... });
    })();
    // js/player.js
    const __m_js_player = await (async () => {
      const { SPEEDS } = __m_js_config;     <-  import { SPEEDS } from './config.js';
      ...

The graph is read from the sources at request time (``module_graph``), so a new module or import
needs no list kept by hand. The forms understood are the ones ``static/js`` uses, written at the
start of a line (docs/FRONTEND.md, "Modules the bundler reads"):

- ``import { a, b as c } from './x.js';`` (over several lines too), ``import * as ns from
  './x.js';``, ``import './x.js';``: relative specifiers only;
- ``export const|function|async function|class NAME``, ``export { a, b as c };``.

Anything else that would change the meaning (``export let``/``var``, whose later assignments a
copy would miss; ``export default``; re-exports; a default import; ``import()``;
``import.meta``; an import cycle) is refused with a ``BundleError`` naming the file and line,
rather than bundled wrong. A module's exports are read once it has run, so every exported
binding must keep its value from then on, which ``const``, functions and classes do.
"""

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

NAME = r"[A-Za-z_$][\w$]*"
SPECIFIER = r"""(?P<quote>['"])(?P<spec>[^'"]+)(?P=quote)"""
IMPORT_NAMED = re.compile(
    rf"^import\s*\{{(?P<names>[^}}]*)\}}\s*from\s*{SPECIFIER}\s*;?[ \t]*$", re.M
)
IMPORT_NAMESPACE = re.compile(
    rf"^import\s*\*\s*as\s+(?P<name>{NAME})\s+from\s*{SPECIFIER}\s*;?[ \t]*$", re.M
)
IMPORT_BARE = re.compile(rf"^import\s*{SPECIFIER}\s*;?[ \t]*$", re.M)
EXPORT_DECLARATION = re.compile(r"^export\s+(?=async\s+function|function|class|const)", re.M)
EXPORT_DECLARED = re.compile(rf"(?:async\s+function|function|class|const)[\s*]*(?P<name>{NAME})")
EXPORT_LIST = re.compile(r"^export\s*\{(?P<names>[^}]*)\}\s*;?[ \t]*$", re.M)
REFUSED = [
    (re.compile(r"^import\b", re.M), "an import form the bundler does not read"),
    (re.compile(r"^export\b", re.M), "an export form the bundler does not read"),
    (re.compile(r"\bimport\s*\("), "a dynamic import()"),
    (re.compile(r"\bimport\.meta\b"), "import.meta"),
]


class BundleError(ValueError):
    """A module the bundler cannot bundle faithfully; the message names the file and line."""


@dataclass(frozen=True)
class Module:
    """One module, read: what it imports (path -> [(imported, local)], or ``*`` for a
    namespace), what it exports (exported -> local), and its body without those statements."""

    path: str
    imports: dict[str, list[tuple[str, str]]]
    exports: dict[str, str]
    body: str


def _line(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def _names(text: str, path: str, line: int) -> list[tuple[str, str]]:
    """``a, b as c`` -> [(a, a), (b, c)]."""
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        match = re.fullmatch(rf"({NAME})(?:\s+as\s+({NAME}))?", item)
        if match is None:
            raise BundleError(f"{path}:{line}: cannot read the name {item!r}")
        pairs.append((match[1], match[2] or match[1]))
    return pairs


def _resolve(importer: str, specifier: str, line: int) -> str:
    if not specifier.startswith(("./", "../")):
        raise BundleError(f"{importer}:{line}: only relative imports are bundled ({specifier!r})")
    return posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))


def parse_module(path: str, source: str) -> Module:
    """Read one module's imports and exports (module docstring); ``BundleError`` if it uses
    a form the bundler cannot keep the meaning of."""
    imports: dict[str, list[tuple[str, str]]] = {}
    exports: dict[str, str] = {}
    cuts: list[tuple[int, int]] = []  # statements to blank out of the body

    def add_import(match: re.Match, names: list[tuple[str, str]]) -> None:
        target = _resolve(path, match["spec"], _line(source, match.start()))
        imports.setdefault(target, []).extend(names)
        cuts.append((match.start(), match.end()))

    for match in IMPORT_NAMED.finditer(source):
        add_import(match, _names(match["names"], path, _line(source, match.start())))
    for match in IMPORT_NAMESPACE.finditer(source):
        add_import(match, [("*", match["name"])])
    for match in IMPORT_BARE.finditer(source):
        add_import(match, [])
    for match in EXPORT_DECLARATION.finditer(source):
        declared = EXPORT_DECLARED.match(source, match.end())
        if declared is None:
            continue  # not a declaration the bundler reads: refused below
        exports[declared["name"]] = declared["name"]
        cuts.append((match.start(), match.end()))
    for match in EXPORT_LIST.finditer(source):
        for local, exported in _names(match["names"], path, _line(source, match.start())):
            exports[exported] = local
        cuts.append((match.start(), match.end()))
    kept = source
    for start, end in sorted(cuts, reverse=True):
        kept = kept[:start] + _blank(kept[start:end]) + kept[end:]
    for pattern, what in REFUSED:
        found = pattern.search(_without_comments(kept))
        if found is not None:
            raise BundleError(
                f"{path}:{_line(kept, found.start())}: {what}; see docs/FRONTEND.md, "
                '"Modules the bundler reads"'
            )
    lets = [name for name in exports.values() if re.search(rf"^(?:let|var)\s+{name}\b", kept, re.M)]
    if lets:
        raise BundleError(f"{path}: exports a let/var binding ({', '.join(lets)}); export a const")
    return Module(path, imports, exports, kept)


def _blank(text: str) -> str:
    """``text`` removed but for its line breaks (so line numbers stay right)."""
    return re.sub(r"[^\n]", "", text)


def _without_comments(source: str) -> str:
    """``source`` with line and block comments blanked, so prose in comments that mentions
    ``import()`` is not taken for code. Strings are left: none holds such text."""
    return re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: _blank(m[0]), source, flags=re.S)


def module_graph(sources: Mapping[str, str], entry: str) -> list[Module]:
    """Every module ``entry`` reaches, each after the modules it imports (depth first)."""
    parsed: dict[str, Module] = {}
    order: list[Module] = []
    open_: list[str] = []  # the import chain being visited

    def visit(path: str, importer: str) -> Module:
        if path in open_:
            raise BundleError(f"import cycle: {' -> '.join((*open_[open_.index(path) :], path))}")
        if path in parsed:
            return parsed[path]
        if path not in sources:
            raise BundleError(f"{importer} imports {path}, which does not exist")
        open_.append(path)
        module = parse_module(path, sources[path])
        for target, names in module.imports.items():
            exported = visit(target, path).exports
            missing = [name for name, _ in names if name != "*" and name not in exported]
            if missing:
                raise BundleError(
                    f"{path} imports {', '.join(missing)} from {target}, which does not export it"
                )
        open_.pop()
        parsed[path] = module
        order.append(module)
        return module

    visit(entry, "the entry")
    return order


def _variable(path: str) -> str:
    return "__m_" + re.sub(r"\W", "_", path.removesuffix(".js"))


def bundle_sources(sources: Mapping[str, str], entry: str) -> str:
    """One module script that runs ``entry`` and everything it imports (module docstring). Its
    default export is ``entry``'s namespace object."""
    parts = []
    for module in module_graph(sources, entry):
        reads = []
        for target, names in module.imports.items():
            for imported, local in names:
                if imported == "*":
                    reads.append(f"const {local} = {_variable(target)};")
            named = [f"{i}: {lo}" if i != lo else i for i, lo in names if i != "*"]
            if named:
                reads.append(f"const {{ {', '.join(named)} }} = {_variable(target)};")
        exported = ", ".join(f"{e}: {lo}" if e != lo else e for e, lo in module.exports.items())
        parts.append(
            f"// {module.path}\nconst {_variable(module.path)} = await (async () => {{\n"
            + "".join(f"{r}\n" for r in reads)
            + module.body.rstrip()
            + f"\nreturn Object.freeze({{ {exported} }});\n}})();\n"
        )
    return "".join(parts) + f"export default {_variable(entry)};\n"

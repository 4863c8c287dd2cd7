"""The ES-module bundler of the standalone HTML export: every module of static/js bundles, each
bundle exports what the module does (run in Node next to the module itself), and every form the
bundler cannot keep the meaning of is refused with the file and line."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.assets import ROOT as STATIC
from app.assets import static_tree
from app.export.bundle import BundleError, bundle_sources

NODE = shutil.which("node")
MODULES = sorted(p.relative_to(STATIC).as_posix() for p in (STATIC / "js").glob("*.js"))
needs_node = pytest.mark.skipif(NODE is None, reason="no node on PATH")

# For each (native module, bundle): the export names of both, and each non-function export
# as JSON; a module or bundle that cannot load in Node (it reads `document` as it loads)
# reports why.
COMPARE = """
const pairs = JSON.parse(process.argv[1]);
const describe = (ns) => Object.fromEntries(Object.keys(ns).sort().map((k) => [k,
  typeof ns[k] === 'function' ? `function ${ns[k].length}` : JSON.stringify(ns[k])]));
const load = async (url, pick) => {
  try {
    return describe(pick(await import(url)));
  } catch (error) {
    return { error: String(error) };
  }
};
const out = {};
for (const [native, bundled] of pairs) {
  const [own, one] = [await load(native, (ns) => ns), await load(bundled, (ns) => ns.default)];
  out[native] = { native: own, bundled: one };
}
console.log(JSON.stringify(out));
"""
# What a module that needs a browser fails with in Node: a browser global read as it loads.
BROWSER_ONLY = re.compile(
    r"ReferenceError: (document|window|ResizeObserver|navigator|location) is not defined"
)


def node(script: str, *args: str, cwd: Path) -> str:
    done = subprocess.run(
        [NODE or "node", "--input-type=module", "-e", script, *args],
        cwd=cwd, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_node
def test_every_module_bundles_and_exports_what_it_exports(tmp_path):
    assert "js/main.js" in MODULES and "js/standalone.js" in MODULES
    pairs = []
    for path in MODULES:
        out = tmp_path / (path.replace("/", "_") + ".bundle.mjs")
        out.write_text(static_tree().bundle(path))
        check = subprocess.run([NODE or "node", "--check", str(out)], capture_output=True)
        assert check.returncode == 0, (path, check.stderr.decode())
        pairs.append([(STATIC / path).as_uri(), out.as_uri()])
    results = json.loads(node(COMPARE, json.dumps(pairs), cwd=tmp_path))
    compared = 0
    for path, result in zip(MODULES, results.values(), strict=True):
        # The bundle loads exactly when the module does, and fails the same way when it cannot.
        assert result["bundled"] == result["native"], path
        if "error" in result["native"]:
            assert BROWSER_ONLY.fullmatch(result["native"]["error"]), (path, result["native"])
            continue
        compared += 1
    assert compared >= len(MODULES) // 2  # the pure modules, at least


SYNTHETIC = {
    "js/a.js": "import { b as bee, C } from './b.js';\nimport * as all from './b.js';\n"
    "export const out = [bee(), C, Object.keys(all).sort().join()];\n",
    "js/b.js": "const hidden = 2;\nexport function b() {\n  return hidden * 21;\n}\n"
    "const C = 'c';\nexport { C };\n",
}


@needs_node
def test_renamed_and_namespace_imports_read_the_right_bindings(tmp_path):
    out = tmp_path / "a.mjs"
    out.write_text(bundle_sources(SYNTHETIC, "js/a.js"))
    printed = node(f"console.log(JSON.stringify((await import('{out.as_uri()}')).default.out))",
                   cwd=tmp_path)  # fmt: skip
    assert json.loads(printed) == [42, "c", "C,b"]


@pytest.mark.parametrize(
    ("sources", "words"),
    [
        ({"js/a.js": "export let x = 1;\n"}, "js/a.js:1: an export form"),
        ({"js/a.js": "let x = 1;\nexport { x };\n"}, "exports a let/var binding (x)"),
        ({"js/a.js": "const y = 1;\nexport default y;\n"}, "js/a.js:2: an export form"),
        ({"js/a.js": "export * from './b.js';\n", "js/b.js": ""}, "js/a.js:1: an export form"),
        ({"js/a.js": "export { y } from './b.js';\n", "js/b.js": ""}, "an export form"),
        ({"js/a.js": "import b from './b.js';\n", "js/b.js": ""}, "js/a.js:1: an import form"),
        ({"js/a.js": "const m = await import('./b.js');\n", "js/b.js": ""}, "a dynamic import()"),
        ({"js/a.js": "\nconst u = import.meta.url;\n"}, "js/a.js:2: import.meta"),
        ({"js/a.js": "import { x } from 'lib';\n"}, "only relative imports"),
        ({"js/a.js": "import { x } from './b.js';\n"}, "imports js/b.js, which does not exist"),
        (
            {"js/a.js": "import { x } from './b.js';\n", "js/b.js": "export const y = 1;\n"},
            "imports x from js/b.js, which does not export it",
        ),
        (
            {"js/a.js": "import './b.js';\n", "js/b.js": "import './a.js';\n"},
            "import cycle: js/a.js -> js/b.js -> js/a.js",
        ),
        ({"js/a.js": "export const { x } = { x: 1 };\n"}, "js/a.js:1: an export form"),
    ],  # fmt: skip
)
def test_forms_the_bundler_cannot_keep_are_refused_naming_file_and_line(sources, words):
    with pytest.raises(BundleError, match=None) as refused:
        bundle_sources(sources, "js/a.js")
    assert words in str(refused.value)


def test_comments_may_mention_import_calls():
    sources = {"js/a.js": "// a dynamic import() would be refused\nexport const a = 1;\n"}
    assert "const a = 1;" in bundle_sources(sources, "js/a.js")

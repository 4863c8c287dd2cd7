"""The exports (SPEC section 9): the query and errors of GET /api/run, the notebook run in real
Jupyter kernels, the CSV against the JSON number for number, the HTML's inlined run."""

import ast
import asyncio
import base64
import copy
import csv
import html
import io
import json
import re
import time
from urllib.parse import quote

import httpx
import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from app import service as service_module
from app.main import create_app
from app.presets import presets
from app.settings import Settings
from app.validation import prepare_run
from tests.routes.conftest import LIMITS

KINDS = ["notebook", "html", "csv"]
NOTEBOOK_MODULES = {"base64", "json", "numpy", "tensorflow"}  # all a notebook may import
KERNEL_TIMEOUT_S = 300


def config_query(config: dict) -> str:
    return "config=" + quote(json.dumps(config))


def export(client, kind: str, query: str):
    response = client.get(f"/api/export/{kind}?{query}")
    assert response.status_code == 200, response.text
    return response


def random_configs(rng: np.random.Generator) -> dict[str, dict]:
    """Configurations that together use every rule the notebook rebuilds: each cell, GRU both
    ways, forget_bias, bidirectional, two layers, padding, a given initial state."""
    B, T, D, H = 3, 5, 3, 3

    def values():
        return rng.uniform(-2, 2, (B, T, D)).round(3).tolist()

    def state(cell, layers, directions):
        names = ["h", "c"] if cell == "lstm" else ["h"]
        return {
            "layers": [
                {d: {n: rng.uniform(-1, 1, (B, H)).round(3).tolist() for n in names} for d in dirs}
                for dirs in [directions] * layers
            ]
        }

    lengths = [int(n) for n in rng.permutation([T, T - 2, 1])]
    seed = int(rng.integers(0, 1000))
    base = {"hidden_size": H, "seed": seed, "input": {"values": values()}}
    return {
        "rnn_state": {**base, "cell": "rnn", "initial_state": state("rnn", 1, ["forward"])},
        "lstm_forget_bias_padding_state": {
            **base,
            "cell": "lstm",
            "forget_bias": 1.0,
            "sequence_length": lengths,
            "initial_state": state("lstm", 1, ["forward"]),
        },
        "gru_reset_after": {**base, "cell": "gru", "reset_after": True, "sequence_length": lengths},
        "gru_tf1_bidirectional": {
            **base,
            "cell": "gru",
            "reset_after": False,
            "bidirectional": True,
            "sequence_length": lengths,
        },
        "lstm_two_layers_bidirectional_state": {
            **base,
            "cell": "lstm",
            "num_layers": 2,
            "bidirectional": True,
            "sequence_length": lengths,
            "initial_state": state("lstm", 2, ["forward", "backward"]),
        },
    }


# ---- the query: the same checks and errors as GET /api/run ------------------------------------

BAD_QUERIES = [
    "",
    "preset=lstm_batch&config={}",
    "preset=",
    "preset=nope",
    "config=not-json",
    "config="
    + quote(json.dumps({"cell": "lstm", "input": {"text": ["hxllo"], "vocabulary": "helo"}})),
    "config=" + quote(json.dumps({"cell": "rnn", "hidden_size": 99, "input": {"text": ["hi"]}})),
    "config=" + quote(json.dumps({"cell": "rnn", "input": {"text": ["h" * 60]}})),
    "config=" + quote(json.dumps({"cell": "rnn", "input": {"text": ["hi"]}, "extra": 1})),
    "config=" + "x" * (LIMITS.get("max_query_bytes", 16_384) + 1),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("query", BAD_QUERIES, ids=range(len(BAD_QUERIES)))
def test_bad_query_gets_the_same_4xx_as_get_api_run(client, kind, query):
    expected = client.get(f"/api/run?{query}")
    assert 400 <= expected.status_code < 500
    got = client.get(f"/api/export/{kind}?{query}")
    assert (got.status_code, got.json()) == (expected.status_code, expected.json())


def test_exports_read_the_run_the_service_caches(client):
    """A run made by GET /api/run is not run again by an export, and an export's run is cached
    for /api/run: the engine runs once per configuration."""
    service = client.app.state.service
    executor = service.executor
    calls = []
    real_run = executor.run

    async def counting_run(prepared):
        calls.append(prepared.key)
        return await real_run(prepared)

    config = {"cell": "gru", "hidden_size": 3, "seed": int(time.time()) % 100_000,
              "input": {"text": ["hello", "hi"]}}  # fmt: skip
    executor.run = counting_run
    try:
        for kind in KINDS:
            export(client, kind, config_query(config))
        assert client.get(f"/api/run?{config_query(config)}").status_code == 200
        for kind in KINDS:
            export(client, kind, config_query(config))
    finally:
        executor.run = real_run
    assert len(calls) == 1


def test_a_class_exporting_one_configuration_at_once_prepares_it_once(monkeypatch):
    """Thirty readers ask at once for the exports of one configuration large enough that its
    seeded weights are drawn on a preparation thread: they are drawn once (before: once a
    reader, thirty draws queued on the two preparation threads)."""
    app = create_app(Settings(warm_presets=False))
    config = {"cell": "lstm", "hidden_size": 96, "seed": 7, "input": {"text": ["class"]}}
    query = config_query(config)
    prepared = []

    def counting(request, settings):
        prepared.append(request.hidden_size)
        time.sleep(0.5)  # long enough for every reader to arrive meanwhile
        return prepare_run(request, settings)

    monkeypatch.setattr(service_module, "prepare_run", counting)

    async def scenario():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                asks = [client.get(f"/api/export/{KINDS[k % 3]}?{query}") for k in range(30)]
                return await asyncio.gather(*asks, client.get(f"/api/run?{query}"))

    responses = asyncio.run(scenario())
    assert [r.status_code for r in responses] == [200] * 31
    assert prepared == [96]


@pytest.mark.parametrize(
    ("kind", "media_type", "extension"),
    [
        ("notebook", "application/x-ipynb+json", "ipynb"),
        ("html", "text/html", "html"),
        ("csv", "text/csv", "csv"),
    ],  # fmt: skip
)
def test_exports_are_attachments_of_their_type(client, kind, media_type, extension):
    response = export(client, kind, "preset=lstm_batch")
    assert response.headers["content-type"].split(";")[0] == media_type
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="rnn-lstm_batch.{extension}"'
    config = presets()["gru_batch"].config.model_dump(mode="json", exclude_none=True)
    named = export(client, kind, config_query(config)).headers["content-disposition"]
    assert re.fullmatch(rf'attachment; filename="rnn-gru-[0-9a-f]{{8}}\.{extension}"', named)


# ---- CSV ---------------------------------------------------------------------------------------


def csv_numbers(result: dict) -> dict[tuple, float]:
    """Every number the CSV must hold, read from a JSON result: key (layer, direction, example,
    t, quantity, unit)."""
    numbers = {}
    for index, layer in enumerate(result["layers"]):
        for direction, run in layer.items():
            arrays = {"output": run["outputs"], **run["states"], **run["gates"]}
            for quantity, array in arrays.items():
                for (b, t, u), value in np.ndenumerate(np.array(array, dtype=np.float64)):
                    numbers[(index, direction, b, t, quantity, u)] = value
    return numbers


@pytest.mark.parametrize("name", ["lstm_batch", "bidirectional_lstm", "multilayer_rnn",
                                  "gru_batch"])  # fmt: skip
def test_csv_has_one_row_per_number_equal_to_the_json(client, name):
    text = export(client, "csv", f"preset={name}").text
    reader = csv.reader(io.StringIO(text))
    assert next(reader) == ["layer", "direction", "example", "t", "quantity", "unit", "value"]
    rows = list(reader)
    want = csv_numbers(client.get(f"/api/run?preset={name}").json())
    got = {}
    for layer, direction, b, t, quantity, unit, value in rows:
        got[(int(layer), direction, int(b), int(t), quantity, int(unit))] = float(value)
    assert len(rows) == len(got) == len(want)  # one row per number, none twice
    assert got == want  # the same decimal text, so exactly the same numbers


def test_csv_of_random_runs_equals_their_json(client):
    for config in random_configs(np.random.default_rng()).values():
        rows = list(csv.DictReader(io.StringIO(export(client, "csv", config_query(config)).text)))
        want = csv_numbers(client.get(f"/api/run?{config_query(config)}").json())
        got = {
            (int(r["layer"]), r["direction"], int(r["example"]), int(r["t"]), r["quantity"],
             int(r["unit"])): float(r["value"])
            for r in rows
        }  # fmt: skip
        assert len(rows) == len(want) and got == want


# ---- HTML --------------------------------------------------------------------------------------


def test_html_carries_the_run_and_names_nothing_outside_itself(client):
    page = export(client, "html", "preset=bidirectional_lstm&step=2&hide=math").text
    data = re.search(r'<script type="application/json" id="run-data">(.*?)</script>', page, re.S)
    carried = json.loads(data[1])
    assert carried["query"] == "preset=bidirectional_lstm&step=2&hide=math"
    assert carried["result"] == client.get("/api/run?preset=bidirectional_lstm&encoding=b64").json()
    markup = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", "", page, flags=re.S)
    urls = re.findall(r'\b(?:src|href)="([^"]*)"', markup)  # the open-app link's is set by JS
    assert urls and all(u.startswith("data:") or u == "/" for u in urls), urls
    assert "/static/" not in page
    csp = html.unescape(
        re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)[1]
    )
    assert (
        "default-src 'none'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    scripts = re.findall(
        r"<script\b([^>]*)>", re.sub(r"(<script\b[^>]*>).*?</script>", r"\1", page, flags=re.S)
    )
    # Plotly, the run, the bundled viewer, the page's message catalog, the engine's cells
    assert scripts == [
        "",
        ' type="application/json" id="run-data"',
        ' type="module"',
        ' type="application/json" id="messages"',
        ' type="application/json" id="engine"',
    ]


# ---- notebook ----------------------------------------------------------------------------------


def notebook_of(client, query: str) -> nbformat.NotebookNode:
    response = export(client, "notebook", query)
    nb = nbformat.reads(response.text, as_version=4)
    nbformat.validate(nb)
    return nb


def imported_modules(nb: nbformat.NotebookNode) -> set[str]:
    modules = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                modules.add((node.module or "").split(".")[0])
    return modules


def tampered(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy with one expected number changed by 1e-3 (above the notebook's atol of 1e-5)."""
    copied = copy.deepcopy(nb)
    cell = next(c for c in copied.cells if c.source.startswith("DATA = "))
    data = json.loads(ast.parse(cell.source).body[0].value.args[0].value)
    stored = data["expected"][-1]["forward"]["states"]["h"]
    values = np.frombuffer(base64.b64decode(stored["b64"]), "<f4").copy()
    values[len(values) // 2] += 1e-3
    stored["b64"] = base64.b64encode(values.tobytes()).decode()
    cell.source = f"DATA = json.loads({json.dumps(data)!r})\n"
    return copied


@pytest.fixture(scope="module")
def kernel():
    """One Jupyter kernel (python3, this interpreter) for several notebooks, its namespace reset
    between them (``%reset -f``): kernel start-up and the TensorFlow import are paid once."""
    client = NotebookClient(
        nbformat.v4.new_notebook(), timeout=KERNEL_TIMEOUT_S, kernel_name="python3"
    )
    with client.setup_kernel():

        def run(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
            cells = [nbformat.v4.new_code_cell("%reset -f"), *nb.cells]
            client.nb = nbformat.v4.new_notebook(cells=cells)
            for index, cell in enumerate(cells):
                client.execute_cell(cell, index)
            return nb

        yield run


def test_notebook_runs_top_to_bottom_in_a_fresh_kernel(client, tmp_path):
    nb = notebook_of(client, "preset=bidirectional_lstm")
    assert imported_modules(nb) <= NOTEBOOK_MODULES
    NotebookClient(
        nb, timeout=KERNEL_TIMEOUT_S, kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()  # fmt: skip
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "Every output, state and final state matches the exported run" in printed


def test_notebooks_of_random_configurations_rebuild_their_runs(client, kernel):
    started = time.monotonic()
    for name, config in random_configs(np.random.default_rng()).items():
        nb = notebook_of(client, config_query(config))
        assert imported_modules(nb) <= NOTEBOOK_MODULES, name
        kernel(nb)
        printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
        assert "matches the exported run" in printed, name
        largest = float(re.search(r"largest difference is (\S+)\.", printed)[1])
        assert largest < 1e-5, (name, largest)
    nb = kernel(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys\nprint(sorted(m for m in sys.modules if m == 'app' or m.startswith('app.')))"
    )]))  # fmt: skip
    assert nb.cells[0].outputs[0]["text"].strip() == "[]"  # nothing of this app was imported
    print(f"five notebooks in one kernel: {time.monotonic() - started:.1f} s")


@pytest.mark.parametrize("query", ["preset=multilayer_lstm", "preset=gru_batch"])
def test_notebook_with_one_expected_number_changed_fails(client, kernel, query):
    nb = notebook_of(client, query)
    kernel(copy.deepcopy(nb))  # the original passes in this kernel
    with pytest.raises(CellExecutionError, match="Not equal to tolerance"):
        kernel(tampered(nb))


def test_korean_notebook_explains_in_korean(client):
    nb = notebook_of(client, "preset=lstm_batch&lang=ko")
    assert "노트북" in nb.cells[0].source
    korean, english = presets("ko")["lstm_batch"].title, presets("en")["lstm_batch"].title
    assert korean != english and korean in nb.cells[0].source  # the preset's title in Korean
    assert client.get("/api/export/notebook?preset=lstm_batch&lang=fr").status_code == 422

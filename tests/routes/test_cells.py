"""GET /api/cells: the engine's cell declarations as the front end reads them (docs/CELLS.md),
and runs that agree with them."""

import re

import numpy as np
import pytest

from app.engine.cells import VARIANTS
from app.i18n import catalog
from app.schemas import CellDescription

FIELDS = [
    "key",
    "request",
    "title",
    "states",
    "gates",
    "blocks",
    "bias_rows",
    "options",
    "equations",
]


@pytest.fixture(scope="module")
def cells(client):
    response = client.get("/api/cells")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    return response


def test_every_variant_by_key_in_declaration_order(cells):
    described = cells.json()
    assert list(described) == list(VARIANTS) == ["rnn", "lstm", "gru", "gru_tf1"]
    for key, cell in described.items():
        assert list(cell) == FIELDS and cell["key"] == key
        CellDescription.model_validate(cell)
        variant = VARIANTS[key]
        assert cell["states"] == list(variant.states) and cell["gates"] == list(variant.gates)
        assert [e["name"] for e in cell["equations"]] == [e["name"] for e in variant.equations]
    assert described["gru"]["request"] == {"cell": "gru", "reset_after": True}
    assert described["gru_tf1"]["request"] == {"cell": "gru", "reset_after": False}
    assert described["lstm"]["options"] == ["forget_bias"]


def test_cells_are_cacheable(client, cells):
    etag = cells.headers["ETag"]
    assert cells.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get("/api/cells", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    assert client.get("/api/cells", headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize("key", list(VARIANTS))
def test_a_run_of_each_variant_has_the_declared_names_and_layout(client, cells, key):
    cell = cells.json()[key]
    hidden, size = 3, 2
    response = client.post(
        "/api/run",
        json={**cell["request"], "hidden_size": hidden, "input": {"values": [[[0.5, -1.0]] * 4]}},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    forward = result["layers"][0]["forward"]
    assert list(forward["states"]) == cell["states"] and list(forward["gates"]) == cell["gates"]
    weights = result["weights"]["layers"][0]["forward"]
    width = cell["blocks"] * hidden
    assert np.shape(weights["kernel"]) == (size, width)
    assert np.shape(weights["recurrent_kernel"]) == (hidden, width)
    bias = (cell["bias_rows"], width) if cell["bias_rows"] > 1 else (width,)
    assert np.shape(weights["bias"]) == bias


def test_openapi_documents_the_cells_route(client):
    schema = client.get("/openapi.json").json()
    assert "/api/cells" in schema["paths"]
    assert "CellDescription" in schema["components"]["schemas"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_main_pages_cell_menu_lists_the_declared_cells(client, lang):
    """One option per cell of the request the engine declares (a variant such as GRU's
    reset_after is a field of its own), in declaration order, titled in the page's language."""
    page = client.get(f"/?lang={lang}").text
    menu = page.split('<select id="f-cell"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option value="(\w+)">([^<]*)</option>', menu)
    cells = list(dict.fromkeys(v.request["cell"] for v in VARIANTS.values()))
    assert [value for value, _ in options] == cells and len(cells) >= 3
    assert [title for _, title in options] == [catalog(lang)[f"form.cell_{c}"] for c in cells]

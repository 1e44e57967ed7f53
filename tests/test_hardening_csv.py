"""The "CSV para Excel" download opens in Excel with Chilean settings: UTF-8 BOM, ';' between
cells, decimal comma; formula-like text neutralised as in the standard CSV.

Read back with Python's csv module in the dialect Excel (es-CL) uses, and compared cell by
cell with the standard CSV (RFC 4180, read with the default dialect).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from geo.export import FORMULA_PREFIXES
from geo.study import LAYER_NAMES
from tests.support.web import app_for, copy_data


class ExcelChile(csv.Dialect):
    """What Excel with es-CL regional settings reads: list separator ';', CRLF, '"' quotes."""

    delimiter = ";"
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL


NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
NASTY = '=HYPERLINK("http://evil.example";"clic")'


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("csv")
    data = copy_data(root)
    venues = data / "venues" / "venues.geojson"
    collection = json.loads(venues.read_text("utf-8"))
    collection["features"][0]["properties"]["name"] = NASTY
    collection["features"][1]["properties"]["name"] = "Biblioteca Peñuelas; «Ñandú», 2"
    venues.write_text(json.dumps(collection, ensure_ascii=False), "utf-8")
    return app_for(data, root / "cache").test_client()


def read_both(client, layer: str) -> tuple[bytes, list[list[str]], list[list[str]]]:
    excel = client.get(f"/descargas/{layer}.excel")
    standard = client.get(f"/descargas/{layer}.csv")
    assert excel.status_code == standard.status_code == 200
    excel_rows = list(csv.reader(io.StringIO(excel.data.decode("utf-8-sig"), newline=""),
                                 ExcelChile()))
    standard_rows = list(csv.reader(io.StringIO(standard.data.decode("utf-8"), newline="")))
    return excel.data, excel_rows, standard_rows


@pytest.mark.parametrize("layer", LAYER_NAMES)
def test_excel_csv_has_bom_semicolons_and_decimal_commas(client, layer):
    raw, excel_rows, standard_rows = read_both(client, layer)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    assert b"\r\n" in raw
    assert len(excel_rows) == len(standard_rows) > 1
    assert excel_rows[0] == standard_rows[0]  # same header, same columns
    decimals = 0
    for excel_row, standard_row in zip(excel_rows, standard_rows, strict=True):
        assert len(excel_row) == len(standard_row)
        for excel_cell, standard_cell in zip(excel_row, standard_row, strict=True):
            if NUMBER.fullmatch(standard_cell) and "." in standard_cell:
                assert excel_cell == standard_cell.replace(".", ",")  # decimal comma
                decimals += 1
            else:
                assert excel_cell == standard_cell
    numeric_columns = {"lon", "lat", "share_within_15min", "mean_minutes"}
    if numeric_columns & set(standard_rows[0]):
        assert decimals > 0


def test_excel_csv_keeps_text_whole_and_formulas_neutralised(client):
    _raw, rows, _standard = read_both(client, "venues")
    header = rows[0]
    names = [row[header.index("name")] for row in rows[1:]]
    assert "'" + NASTY in names
    assert "Biblioteca Peñuelas; «Ñandú», 2" in names  # ';' inside a cell stays in the cell
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES) or NUMBER.fullmatch(
                cell.replace(",", ".")), cell


def test_downloads_page_offers_the_excel_flavour(client):
    page = client.get("/descargas?lang=es").data.decode("utf-8")
    assert 'href="/descargas/venues.excel"' in page
    assert "CSV para Excel" in page
    disposition = client.get("/descargas/venues.excel").headers["Content-Disposition"]
    assert "culturamap-venues.excel.csv" in disposition

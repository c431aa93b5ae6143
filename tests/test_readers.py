"""Reading files as officers send them: encodings, separators, sheets, headers, row numbers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest

from mel.data.readers import read_table
from mel.data.validate import validate_file
from mel.definitions.catalog import load_templates
from mel.errors import DataError

AS_OF = dt.date(2025, 12, 31)
HEADER = "population_id,country,year,population,source"


@pytest.fixture(scope="module")
def catalog():
    return load_templates()


def _pop(tmp_path, text: str, name="pop.csv", encoding="utf-8") -> object:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_utf8_with_bom_and_semicolons(tmp_path, catalog):
    p = _pop(tmp_path, "\ufeffcountry;year;population;source\nSDN;2024;50042791;Projection é\n")
    ds = validate_file(p, "population", catalog, as_of=AS_OF)
    assert ds.findings == []
    assert ds.frame["source"].iloc[0] == "Projection é"
    assert int(ds.frame["population"].iloc[0]) == 50042791


def test_latin1_csv_is_read_with_a_warning(tmp_path, catalog):
    p = _pop(
        tmp_path,
        "country;year;population;source\nTZA;2024;68000000;Estimation ménages\n",
        encoding="latin-1",
    )
    ds = validate_file(p, "population", catalog, as_of=AS_OF)
    assert ds.frame["source"].iloc[0] == "Estimation ménages"
    (f,) = ds.findings
    assert (f.severity, f.code) == ("warning", "file-format")
    assert "Latin-1" in f.message


def test_tab_separated(tmp_path, catalog):
    p = _pop(tmp_path, "country\tyear\tpopulation\nNGA\t2024\t227882945\n", name="p.tsv")
    assert validate_file(p, "population", catalog, as_of=AS_OF).findings == []


def test_blank_lines_keep_row_numbers(tmp_path, catalog):
    p = _pop(tmp_path, "country,year,population\nSDN,2024,1\n\n,,\nTZA,20x4,2\n")
    ds = validate_file(p, "population", catalog, as_of=AS_OF)
    assert list(ds.rows) == [2, 5]
    (f,) = ds.findings
    assert (f.line, f.field, f.code) == (5, "year", "type")


def test_header_by_label_case_and_spacing(tmp_path, catalog):
    p = _pop(tmp_path, "COUNTRY, Year ,Resident population\nSDN,2024,10\n")
    ds = validate_file(p, "population", catalog, as_of=AS_OF)
    assert ds.findings == []
    assert int(ds.frame["population"].iloc[0]) == 10


def test_header_problems(tmp_path, catalog):
    p = _pop(tmp_path, "country,yeer,population,population,notes\nSDN,2024,10,11,x\n")
    ds = validate_file(p, "population", catalog, as_of=AS_OF)
    got = sorted((f.code, f.field, f.severity) for f in ds.findings)
    assert got == [
        ("duplicate-column", "population", "error"),
        ("extra-column", "notes", "warning"),
        ("extra-column", "yeer", "warning"),
        ("missing-column", "year", "error"),
    ]
    text = "\n".join(f.format() for f in ds.findings)
    assert "the closest header in the file is 'yeer'" in text
    assert "if 'yeer' is 'year', rename that header to 'year'" in text
    assert all(f.line == 1 for f in ds.findings)


def test_empty_header_only_and_garbage_files(tmp_path, catalog):
    with pytest.raises(DataError, match="is empty"):
        read_table(_pop(tmp_path, "", name="empty.csv"))
    ds = validate_file(
        _pop(tmp_path, "country,year,population\n", name="h.csv"),
        "population",
        catalog,
        as_of=AS_OF,
    )
    assert [f.code for f in ds.findings] == ["no-rows"]
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(DataError, match="not a text"):
        read_table(garbage)
    with pytest.raises(DataError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="cannot be read"):
        read_table(_pop(tmp_path, "x", name="data.json"))
    bad_xlsx = tmp_path / "broken.xlsx"
    bad_xlsx.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(DataError, match=r"not a valid \.xlsx file"):
        read_table(bad_xlsx)


def _workbook(tmp_path, sheets: dict[str, list[list[object]]], name="book.xlsx"):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    path = tmp_path / name
    wb.save(path)
    return path


def test_excel_named_sheet_header_row_and_types(tmp_path, catalog):
    path = _workbook(
        tmp_path,
        {
            "notes": [["read me"]],
            "pop": [
                ["Population 2024"],
                ["country", "year", "population"],
                ["SDN", 2024, 50042791.0],
                ["TZA", 2024.0, 68000000],
            ],
        },
    )
    ds = validate_file(path, "population", catalog, as_of=AS_OF, sheet="pop", header_row=2)
    assert ds.findings == []
    assert list(ds.rows) == [3, 4]
    assert ds.file.endswith("book.xlsx[pop]")


def test_excel_wrong_sheet_suggests(tmp_path):
    path = _workbook(tmp_path, {"Cases": [["case_id"]], "Assistance": [["service_id"]]})
    with pytest.raises(DataError) as exc:
        read_table(path, sheet="assistance")
    (f,) = exc.value.findings
    assert f.code == "wrong-sheet"
    assert "did you mean 'Assistance'?" in f.format()
    with pytest.raises(DataError, match="several sheets"):
        read_table(path, dataset="referrals")
    assert read_table(path, dataset="Cases").sheet == "Cases"


def test_excel_dates_and_datetimes(tmp_path, catalog):
    path = _workbook(
        tmp_path,
        {
            "milestones": [
                ["milestone_id", "country", "date", "kind", "title"],
                ["M1", "SDN", dt.datetime(2024, 5, 15), "referral_mechanism", "NRM"],
                ["M2", "SDN", dt.datetime(2024, 6, 1, 13, 30), "law", "Anti-trafficking act"],
            ]
        },
    )
    ds = validate_file(path, "milestones", catalog, as_of=AS_OF)
    # a time of day is dropped, and the officer is told
    assert [(f.line, f.severity, f.field) for f in ds.findings] == [(3, "warning", "date")]
    assert "holds a time of day as well; its date is used" in ds.findings[0].message
    assert list(ds.frame["date"].dt.date) == [dt.date(2024, 5, 15), dt.date(2024, 6, 1)]


def test_parquet(tmp_path, catalog):
    p = tmp_path / "pop.parquet"
    pd.DataFrame(
        {"country": ["SDN", "sdn"], "year": [2024, 2025], "population": [1, None]}
    ).to_parquet(p)
    ds = validate_file(p, "population", catalog, as_of=AS_OF)
    got = [(f.line, f.field, f.code) for f in ds.findings]
    assert got == [(2, "country", "alias"), (2, "population", "required")]
    assert ds.findings[1].value is None


def test_dates_day_first_when_declared(tmp_path, catalog):
    p = _pop(
        tmp_path,
        "milestone_id,country,date,kind,title\nM1,SDN,31/12/2024,law,A\n"
        "M2,SDN,2024-01-05,law,B\nM3,SDN,03/04/2024,law,C\n",
        name="m.csv",
    )
    ds = validate_file(p, "milestones", catalog, as_of=AS_OF, date_format="day_first")
    assert ds.findings == []
    assert [d.isoformat() for d in ds.frame["date"].dt.date] == [
        "2024-12-31",
        "2024-01-05",
        "2024-04-03",
    ]
    ds = validate_file(p, "milestones", catalog, as_of=AS_OF)  # ISO only: both reported
    assert [(f.line, f.suggestion) for f in ds.findings] == [(2, "2024-12-31"), (4, None)]
    assert "ambiguous: 2024-04-03 day first or 2024-03-04 month first" in ds.findings[1].format()


def test_missing_value_codes_are_missing_not_categories(tmp_path, catalog):
    p = _pop(
        tmp_path,
        "case_id,registration_date,country,trafficking_status,sex\n"
        "C1,2024-01-01,SDN,actual,Unknown\nC2,2024-01-01,SDN,actual,n/a\n"
        "C3,2024-01-01,SDN,actual,-99\n",
        name="c.csv",
    )
    ds = validate_file(p, "cases", catalog, as_of=AS_OF)
    assert ds.findings == []
    assert ds.frame["sex"].isna().all()


def test_invalid_rows_are_found_in_very_large_datasets(catalog):
    """Rows with errors are marked at any size (it once stopped working from 2,000,000 rows)."""
    from mel.data.readers import RawTable
    from mel.data.validate import Dataset
    from mel.errors import Finding

    n = 2_500_000
    rows = np.arange(2, n + 2, dtype=np.int64)
    rows[10:] += 1  # a blank row after row 11 keeps its number
    frame = pd.DataFrame({"x": np.zeros(n)})
    findings = [
        Finding("type", "bad", line=int(rows[i]), scope="cell", field="x") for i in (0, 10, n - 1)
    ]
    findings.append(Finding("alias", "warn", line=int(rows[5]), scope="cell", severity="warning"))
    raw = RawTable("f.csv", ["x"], frame, rows)
    ds = Dataset("d", catalog.templates["population"].obj, "f.csv", frame, rows, raw, {}, findings)
    assert np.flatnonzero(ds.invalid).tolist() == [0, 10, n - 1]


PLAIN_FILES = {
    "quoted separators and newlines": 'a,b,c\n1,"x, y",3\n2,"line one\nline two",""\n',
    "byte order mark, semicolons": "\ufeffa;b\né;ü\n;x\n",
    "tabs, no final newline": "a\tb\n1\t2\n3\t4",
    "doubled quotes and spaces": 'a,b\n" padded ","say ""hi"""\n  ,x\n',
    "right-to-left and CJK text": "name,city\nمحمد,الخرطوم\n王,北京\n",
    "windows line ends": "a,b\r\n1,2\r\n3,4\r\n",
    "header on row 3": "title\nnotes\na,b\n1,2\n",
    "blank lines keep their row numbers": "a,b\n1,2\n\n3,4\n\n\n5,6\n",
}


@pytest.mark.parametrize("coded", [False, True], ids=["text", "coded"])
@pytest.mark.parametrize("name", sorted(PLAIN_FILES))
def test_arrow_reader_reads_plain_files_as_pandas_does(tmp_path, monkeypatch, name, coded):
    """The fast (Arrow) reader and the pandas reader give the same header, cells and row
    numbers; the fast one is really used for these files. ``coded``: read as a long file is,
    its columns of few distinct values as categoricals, the cells' text the same."""
    from mel.data import arrowcsv, readers

    if coded:
        monkeypatch.setattr(arrowcsv, "CODED_FROM", 1)
    text = PLAIN_FILES[name]
    p = tmp_path / "f.csv"
    p.write_bytes(text.encode("utf-8"))
    header_row = 3 if "row 3" in name else 1
    used = []
    real = readers._arrow_csv
    monkeypatch.setattr(readers, "_arrow_csv", lambda *a: used.append(real(*a)) or used[-1])
    fast = read_table(p, header_row=header_row)
    assert used and used[0] is not None, "the Arrow reader was not used"
    monkeypatch.setattr(readers, "_arrow_csv", lambda *a: None)
    slow = read_table(p, header_row=header_row)
    assert fast.header == slow.header
    assert fast.data.to_numpy().tolist() == slow.data.to_numpy().tolist()
    assert fast.rows.tolist() == slow.rows.tolist()
    kinds = {isinstance(t, pd.CategoricalDtype) for t in fast.data.dtypes}
    assert kinds == {coded}


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2,3\n",  # a row longer than the header
        "a,b\n1\n",  # a row shorter than the header
        "a,b\n1,\xff\n",  # not UTF-8
    ],
)
def test_arrow_reader_leaves_awkward_files_to_pandas(tmp_path, text):
    from mel.data import readers

    p = tmp_path / "f.csv"
    p.write_bytes(text.encode("latin-1"))
    assert readers._arrow_csv(p, ",", "utf-8", 1, "a,b") is None


def test_long_columns_parsed_per_distinct_value_as_cell_by_cell(catalog):
    """A long column is parsed once per distinct value and spread back: values, unparsable
    cells and every issue (positions, suggestions) equal parsing cell by cell."""
    from mel.data import parse

    rng = np.random.default_rng(7)
    n = parse._PER_VALUE_FROM + 1_000
    tpl = catalog.templates["cases"].obj
    pools = {
        "sex": ["Female", "Male", " Female", "F", "male", "femal", "", "unknown", "N/A"],
        "age": ["12", "40", "4O", "1,200", " 7", "", "3.5", "-1"],
        "registration_date": ["2024-01-05", "05/01/2024", "2024-13-01", "", " 2024-02-02"],
        "exploitation": ["sexual", "sexual;labour", "Forced labour; sexual", "bogus", ""],
    }
    for column, pool in pools.items():
        spec = tpl.column(column)
        raw = pd.Series(rng.choice(pool, size=n), dtype="str")
        cl = catalog.codelists[spec.codelist].obj if spec.codelist else None
        each = parse._parse_column(raw, spec, tpl.missing_values, cl, "iso")
        # as text, and as a long file's column is read (a categorical of the same text)
        for given in (raw, raw.astype("category")):
            once = parse.parse_column(given, spec, tpl.missing_values, cl)
            _same_parse(once, each, column)


def test_long_number_and_date_columns_of_repeated_values_parsed_per_value(catalog, monkeypatch):
    """A long number or date column whose first cells repeat only a little (thousands of
    distinct amounts) is parsed per distinct value, with the values, unparsable cells and
    issues of parsing it cell by cell; a text column as repeated is parsed in parts."""
    from mel.data import parse

    spread = []
    real = parse.spread
    monkeypatch.setattr(parse, "spread", lambda once, codes: spread.append(1) or real(once, codes))
    rng = np.random.default_rng(17)
    n = parse._PER_VALUE_FROM + 1_000
    tpl = catalog.templates["cases"].obj
    amounts = rng.integers(0, 8_000, size=n).astype(str).astype(object)
    days = pd.date_range("2000-01-01", periods=8_000, freq="D").strftime("%Y-%m-%d")
    dates = rng.choice(days.to_numpy(dtype=object), size=n)
    for values in (amounts, dates):
        odd = rng.choice(n, 30, replace=False)
        values[odd] = rng.choice(["4O", " 7", "1,200", "2024-13-01", "", "x"], size=30)
    for column, values, per_value in (
        ("age", amounts, True),
        ("registration_date", dates, True),
        ("case_id", amounts, False),  # text: its identifiers are parsed in parts
    ):
        spec = tpl.column(column)
        raw = pd.Series(values, dtype="str")
        sample = raw.iloc[: parse._SAMPLE].nunique()
        assert parse._SAMPLE // 4 < sample <= parse._SAMPLE * 49 // 50, column
        spread.clear()
        got = parse.parse_column(raw, spec, tpl.missing_values, None)
        assert bool(spread) == per_value, column
        want = parse._parse_column(raw, spec, tpl.missing_values, None, "iso")
        if per_value:
            _same_parse(got, want, column)
        else:
            assert _cells(got.values) == _cells(want.values), column


def test_long_columns_of_many_values_parsed_in_parts_as_whole(catalog, monkeypatch):
    """A long column of many distinct values is parsed a part at a time: values, unparsable
    cells, issues (kinds, positions in the whole column, suggestions) and censored bounds equal
    parsing it whole; issues found in some parts only are still whole."""
    from mel.data import parse

    monkeypatch.setattr(parse, "_CHUNK", 997)  # parts of odd size, the last one short
    rng = np.random.default_rng(11)
    n = 5_000
    tpl = catalog.templates["cases"].obj
    numbers = rng.integers(0, 10**6, size=n).astype(str).astype(object)
    for i, bad in zip(
        rng.choice(n, 40, replace=False), ["4O", " 7", "1,200", "3.5", "inf"] * 8, strict=True
    ):
        numbers[i] = bad
    numbers[4_990] = "x9"  # a kind of problem only in the last part
    dates = pd.date_range("2020-01-01", periods=n, freq="h").strftime("%Y-%m-%d %H:%M")
    dates = dates.to_numpy(dtype=object)
    dates[[3, 2_500, 4_999]] = ["2024-13-01", "05/01/2024", ""]
    for column, values in (("age", numbers), ("registration_date", dates)):
        spec = tpl.column(column)
        raw = pd.Series(values, dtype="str")
        whole = parse._parse_column(raw, spec, tpl.missing_values, None, "iso")
        parts = parse.parse_column(raw, spec, tpl.missing_values, None)
        _same_parse(parts, whole, column)
    spec = tpl.column("age").model_copy(update={"censored": {"<5": (1, 4)}})
    raw = pd.Series(np.where(np.arange(n) % 700 == 0, "<5", numbers.astype(str)), dtype="str")
    whole = parse._parse_column(raw, spec, tpl.missing_values, None, "iso")
    parts = parse.parse_column(raw, spec, tpl.missing_values, None)
    _same_parse(parts, whole, "censored age")
    assert whole.bounds is not None and parts.bounds is not None
    for a, b in zip(parts.bounds, whole.bounds, strict=True):
        assert np.array_equal(a, b, equal_nan=True)


def _cells(values: pd.Series) -> list:
    """A typed column's cells, missing as None (a categorical or text column alike)."""
    return [None if pd.isna(v) else v for v in values.astype(object)]


def _same_parse(got, want, column: str) -> None:
    assert _cells(got.values) == _cells(want.values), column
    assert (got.unparsable == want.unparsable).all(), column
    assert len(got.issues) == len(want.issues) > 0, column
    for a, b in zip(got.issues, want.issues, strict=True):
        assert (a.code, a.severity, a.message, a.hint) == (b.code, b.severity, b.message, b.hint)
        assert a.positions.tolist() == b.positions.tolist(), (column, a.code)
        assert a.suggestions == b.suggestions, (column, a.code)
        assert a.hints == b.hints, (column, a.code)


def test_a_long_file_validates_as_a_short_one(tmp_path, catalog, monkeypatch):
    """A file long enough to be read coded (columns of few values as categoricals), parsed per
    distinct value and in parts gives the same findings and typed values as the same file read
    and parsed cell by cell, as a short file is."""
    from mel.data import arrowcsv, parse, schema

    rng = np.random.default_rng(3)
    n = arrowcsv.CODED_FROM + 2_000
    pools = {  # (values written right, values with a finding or read another way)
        "registration_date": (["2024-01-05", "2024-02-02"], ["05/01/2024", "2024-13-01", ""]),
        "country": (["SDN", "TZA"], ["sdn", "Sudan", "XXX", " SDN", ""]),
        "sex": (["Female", "Male"], [" Female", "F", "male", "femal", "", "unknown"]),
        "age": ([str(a) for a in range(90)], ["4O", "1,200", "-1", "", "7.5"]),
        "exploitation": (["sexual", "labour"], ["sexual;labour", "Forced labour; sexual", "bogus"]),
    }
    table = pd.DataFrame({"case_id": [f"C-{i:06d}" for i in range(n)]})
    for column, (right, wrong) in pools.items():
        values = rng.choice(right, size=n).astype(object)
        odd = rng.choice(n, size=40, replace=False)
        values[odd] = rng.choice(wrong, size=len(odd))
        table[column] = values
    table.loc[[10, 20_000], "case_id"] = "C-000001"  # duplicated keys
    table.loc[n - 1, "age"] = " 1,200 "
    path = tmp_path / "cases.csv"
    table.to_csv(path, index=False)
    monkeypatch.setattr(parse, "_CHUNK", 9_999)  # the identifiers parsed in parts
    as_of = dt.date(2026, 1, 1)
    long = validate_file(path, "cases", catalog, as_of=as_of)
    long_ways = ((arrowcsv, "CODED_FROM"), (parse, "_PER_VALUE_FROM"), (parse, "_CHUNK"))
    for module, name in (*long_ways, (schema, "LONG")):
        monkeypatch.setattr(module, name, 10**9)
    short = validate_file(path, "cases", catalog, as_of=as_of)
    assert any(isinstance(t, pd.CategoricalDtype) for t in long.raw.data.dtypes)
    assert not any(isinstance(t, pd.CategoricalDtype) for t in short.raw.data.dtypes)
    assert len(long.findings) == len(short.findings) > 150
    assert sum(f.code == "unique" for f in short.findings) == 2  # C-000001 twice again
    assert [f.__dict__ for f in long.findings] == [f.__dict__ for f in short.findings]
    assert list(long.frame.columns) == list(short.frame.columns)
    for c in short.frame.columns:
        assert _cells(long.frame[c]) == _cells(short.frame[c]), c


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_short_and_long_rows_are_findings_per_row(tmp_path, catalog, encoding):
    """A row cut short (its missing cells optional) or with a separator too many is a finding
    on that row; the other rows are read as usual (issue 13, defect 4)."""
    text = (
        "country,year,population,source\n"
        "SDN,2023,49000000,UN é\n"
        "SDN,2024\n"  # row 3: cut short; 'population' is required, 'source' optional
        "TZA,2024,66000000,UN,2024 revision\n"  # row 4: a separator too many
        "TZA,2023,65000000\n"  # row 5: only the optional 'source' missing: still short
        "NGA,2024,227000000,UN\n"
    )
    p = _pop(tmp_path, text, encoding=encoding)
    ds = validate_file(p, "population", catalog, as_of=AS_OF)
    rows = {f.line: f for f in ds.findings if f.code == "bad-row"}
    assert set(rows) == {3, 4, 5}
    assert "row 3 has 2 of 4 fields: the file may be cut short" in rows[3].message
    assert "row 4 has 5 fields, the header 4" in rows[4].message
    assert "row 5 has 3 of 4 fields" in rows[5].message
    assert list(ds.invalid) == [False, True, True, True, False]
    assert list(ds.frame["country"]) == ["SDN", "SDN", "TZA", "TZA", "NGA"]
    assert int(ds.frame["population"].iloc[4]) == 227000000


def test_a_stale_sheet_size_does_not_hide_the_data(tmp_path, catalog):
    """Some tools declare a sheet's size as 'A1' whatever it holds (UNODC's GLOTIP release is
    one); Excel and pandas read the whole sheet, and so does mel (issue 13, defect 7)."""
    import re

    from tests.conftest import with_sheet_xml

    rows = [["country", "year", "population", "source"]] + [
        ["SDN", 2020 + i, 1000 + i, "UN"] for i in range(6)
    ]
    path = _workbook(tmp_path, {"population": rows})
    stale = with_sheet_xml(
        path.read_bytes(),
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', xml),
    )
    import io
    import zipfile

    from tests.conftest import SHEET1

    xml = zipfile.ZipFile(io.BytesIO(stale)).read(SHEET1)
    assert re.search(rb'<dimension ref="A1"\s*/>', xml), xml[:300]
    path.write_bytes(stale)
    raw = read_table(path)
    assert raw.header == ["country", "year", "population", "source"]
    assert len(raw.data) == 6
    ds = validate_file(path, "population", catalog, as_of=AS_OF)
    assert ds.findings == []
    assert [int(x) for x in ds.frame["population"]] == [1000 + i for i in range(6)]


def test_foreign_keys_of_a_coded_column_are_looked_up_as_of_its_text():
    """A reference check on a categorical column (a long file's) finds the same cells as on
    the text, missing cells never found; checked against Python's own set membership."""
    from mel.data.schema import _isin, _value_set

    rng = np.random.default_rng(5)
    keys = pd.Series([f"C{i}" for i in range(0, 300, 3)], dtype="str")
    cells = [None if x < 0 else f"C{x}" for x in rng.integers(-20, 320, size=5_000)]
    text = pd.Series(cells, dtype="str")
    want = [c is not None and c in set(keys) for c in cells]
    for given in (text, text.astype("category")):
        assert _isin(given, _value_set(keys)).tolist() == want


def test_a_long_text_column_duplicates_found_as_pandas_finds_them():
    """The uniqueness check of a long text column (Arrow's sort) marks the same cells as
    pandas' ``duplicated(keep="first")``: every repeat but the first, missing cells equal."""
    from mel.data.schema import _duplicated

    rng = np.random.default_rng(9)
    for _ in range(200):
        n = int(rng.integers(0, 60))
        cells = [None if rng.random() < 0.15 else f"x{rng.integers(0, 15)}" for _ in range(n)]
        s = pd.Series(cells, dtype="str")
        assert _duplicated(s).tolist() == s.duplicated(keep="first").tolist(), cells

"""Arrow's CSV reader, the fast path for plain files: every cell as text, blank lines kept as
rows, a long file's columns of few distinct values dictionary-encoded as they are read (pandas
categoricals of the same text). Anything but a plain file is left to pandas' reader
(:mod:`mel.data.readers`)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd


def read(
    path: Path, sep: str, encoding: str, header_row: int, header_line: str
) -> pd.DataFrame | None:
    """The file read by Arrow's CSV reader (several times faster than pandas' on large files),
    every cell as text, blank lines kept as rows; None when the file is anything but plain
    (rows longer or shorter than the header, bytes that are not UTF-8): pandas' reader then
    reads it, keeping every row's number, or says what is wrong."""
    if encoding not in ("utf-8", "utf-8-sig"):
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    width = len(next(csv.reader([header_line], delimiter=sep), []))
    if width == 0:
        return None
    names = [str(i) for i in range(width)]
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=header_row - 1,
                encoding="utf8",
                block_size=_BLOCK_BYTES,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                # pandas' text columns hold large strings: read as such, nothing is cast
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        table = _coded(reader)
    except (pa.ArrowException, UnicodeError, ValueError):  # ArrowInvalid is both
        return None
    # each column let go once converted: the file's text is not held twice
    return table.to_pandas(split_blocks=True, self_destruct=True)


# a file from this many rows has its columns of few distinct values (codes, dates) held as
# categoricals: integer codes and one copy of each text, a fraction of the memory
CODED_FROM = 50_000
_CODED_SAMPLE = 10_000
_BLOCK_BYTES = 8 << 20


def _coded(reader):
    """The table of Arrow's streaming CSV reader, read block by block, each column of few
    distinct values dictionary-encoded as it is read (it becomes a pandas categorical of the
    same text): a long file's text is never held whole. The columns coded are those whose
    first :data:`_CODED_SAMPLE` cells hold at most a quarter distinct values; a file of fewer
    than :data:`CODED_FROM` rows is given back as plain text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    batches = []
    coded: set[int] | None = None
    for batch in reader:
        if coded is None:
            coded = {
                i
                for i, column in enumerate(batch.columns)
                if pc.count_distinct(column.slice(0, _CODED_SAMPLE)).as_py() <= _CODED_SAMPLE // 4
            }
        columns = [
            pc.dictionary_encode(c) if i in coded else c for i, c in enumerate(batch.columns)
        ]
        batches.append(pa.RecordBatch.from_arrays(columns, names=batch.schema.names))
    if not batches:
        return reader.schema.empty_table()
    table = pa.Table.from_batches(batches)
    del batches
    if not coded:
        return table
    if table.num_rows < CODED_FROM:  # a short file: its text as it is
        return table.cast(reader.schema)
    return table.unify_dictionaries()

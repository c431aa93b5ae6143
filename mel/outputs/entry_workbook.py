"""The data-entry workbook of a template: what officers fill in, shaped so mistakes are hard.

* a data sheet named after the template, with the columns' labels as header (frozen, styled);
* dropdowns from the code lists (named ranges on a hidden ``Lists`` sheet), date, whole-number
  and decimal validation with the template's ranges, and an input message on every column;
* an ``Instructions`` sheet generated from the template's descriptions.

A filled workbook is read back by ``mel validate`` unchanged: the header labels map to the
template's columns, dropdown labels map to their codes, and Excel dates become dates.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from mel.definitions.catalog import Catalog
from mel.definitions.models import CodeList, ColumnSpec, Template
from mel.outputs.excel import (
    TITLE_FONT,
    WRAP,
    fit_row_height,
    print_setup,
    save_workbook,
    set_text,
    write_header,
)

DEFAULT_ROWS = 2000
LISTS_SHEET = "Lists"
TYPE_WORDS = {
    "string": "text",
    "code": "a value from the list",
    "integer": "a whole number",
    "number": "a number",
    "date": "a date",
    "boolean": "yes or no",
}


def dropdown_values(cl: CodeList) -> list[str]:
    """What a dropdown offers: each value's label where it has one, else its code."""
    if cl.source is not None:
        return list(cl.codes())
    return [c.label or c.code for c in cl.values]


def column_rules(spec: ColumnSpec, catalog: Catalog) -> str:
    """The column's rules in words, for the instructions and the input message."""
    parts = [TYPE_WORDS[spec.type]]
    if spec.type == "code" and spec.codelist in catalog.codelists:
        cl = catalog.codelists[spec.codelist].obj
        if spec.multiple:
            parts = ["one or more values from the list, separated by ;"]
        if cl.source is None and len(cl.values) <= 12:
            parts.append("(" + ", ".join(dropdown_values(cl)) + ")")
        elif cl.source is not None:
            parts.append(f"({cl.title})")
    if spec.type == "date":
        parts.append("(YYYY-MM-DD)")
    if spec.range is not None:
        lo, hi = spec.range.min, spec.range.max
        if lo is not None and hi is not None:
            parts.append(f"from {lo:g} to {hi:g}")
        elif lo is not None:
            parts.append(f"at least {lo:g}")
        elif hi is not None:
            parts.append(f"at most {hi:g}")
    if spec.pattern:
        parts.append(f"like {spec.example}" if spec.example else f"matching {spec.pattern}")
    if spec.unique:
        parts[-1] += ";"
        parts.append("each row its own value")
    return " ".join(parts)


def write_entry_workbook(
    tpl: Template, catalog: Catalog, path: Path, *, rows: int = DEFAULT_ROWS
) -> Path:
    wb = Workbook()
    instructions = wb.active
    instructions.title = "Instructions"
    data = wb.create_sheet(tpl.name[:31])
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"

    # --- instructions ---
    set_text(instructions["A1"], tpl.title).font = TITLE_FONT
    set_text(instructions["A2"], tpl.description or "")
    instructions["A2"].alignment = WRAP
    set_text(
        instructions["A3"],
        f"Fill in one row per record on the sheet '{data.title}', from row 2. Columns marked "
        "required must not be left empty. Leave a cell empty when the value is not known. "
        "Do not rename the columns or the sheet.",
    )
    instructions["A3"].alignment = WRAP
    instructions.merge_cells("A2:F2")
    instructions.merge_cells("A3:F3")
    instructions.row_dimensions[2].height = 45
    instructions.row_dimensions[3].height = 45
    write_header(
        instructions,
        5,
        ["Column", "Required", "What to enter", "Description", "Example", "Name"],
        [28, 10, 45, 60, 18, 22],
    )
    for i, spec in enumerate(tpl.columns, start=6):
        values = [
            spec.label or spec.name,
            "required" if spec.required else "",
            column_rules(spec, catalog) + (" - personal data" if spec.pii else ""),
            spec.description or "",
            spec.example or "",
            spec.name,
        ]
        for j, v in enumerate(values, start=1):
            set_text(instructions.cell(row=i, column=j), v).alignment = WRAP
        fit_row_height(instructions, i)
    instructions.freeze_panes = "A6"
    print_setup(instructions, 5)

    # --- lists ---
    list_names: dict[str, str] = {}
    col = 0
    for spec in tpl.columns:
        if spec.type != "code" or spec.multiple or spec.codelist in list_names:
            continue
        cl = catalog.codelists[spec.codelist].obj  # type: ignore[index]  # known: checked above
        col += 1
        letter = get_column_letter(col)
        values = dropdown_values(cl)
        set_text(lists.cell(row=1, column=col), cl.name)
        for r, v in enumerate(values, start=2):
            set_text(lists.cell(row=r, column=col), v)
        name = f"list_{cl.name}"
        ref = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
        list_names[cl.name] = name
    bool_col = get_column_letter(col + 1)
    set_text(lists.cell(row=1, column=col + 1), "yes_no")
    set_text(lists.cell(row=2, column=col + 1), "yes")
    set_text(lists.cell(row=3, column=col + 1), "no")
    wb.defined_names["list_yes_no"] = DefinedName(
        "list_yes_no", attr_text=f"{quote_sheetname(LISTS_SHEET)}!${bool_col}$2:${bool_col}$3"
    )

    # --- data sheet ---
    write_header(
        data,
        1,
        [spec.label or spec.name for spec in tpl.columns],
        [max(12, min(40, len(spec.label or spec.name) + 4)) for spec in tpl.columns],
    )
    data.row_dimensions[1].height = 32
    for j, spec in enumerate(tpl.columns, start=1):
        letter = get_column_letter(j)
        dv = _validation(spec, list_names)
        dv.sqref = f"{letter}2:{letter}{rows + 1}"
        dv.promptTitle = (spec.label or spec.name)[:32]
        prompt = column_rules(spec, catalog)
        if spec.required:
            prompt = "Required. " + prompt
        dv.prompt = prompt[:250]
        dv.showInputMessage = True
        data.add_data_validation(dv)
        if spec.type == "date":
            for r in range(2, rows + 2):
                data.cell(row=r, column=j).number_format = "yyyy-mm-dd"
        elif spec.type in ("string", "code"):
            for r in range(2, rows + 2):
                data.cell(row=r, column=j).number_format = "@"
    data.freeze_panes = "A2"
    print_setup(data)
    wb.active = 1
    return save_workbook(wb, path)


def _validation(spec: ColumnSpec, list_names: dict[str, str]) -> DataValidation:
    if spec.type == "code" and not spec.multiple and spec.codelist in list_names:
        dv = DataValidation(type="list", formula1=f"={list_names[spec.codelist]}", allow_blank=True)
        dv.error, dv.errorTitle = "Choose a value from the list.", "Not in the list"
    elif spec.type == "boolean":
        dv = DataValidation(type="list", formula1="=list_yes_no", allow_blank=True)
        dv.error, dv.errorTitle = "Choose yes or no.", "Yes or no"
    elif spec.type == "date":
        first = int(spec.range.min) if spec.range and spec.range.min is not None else 2000
        last = int(spec.range.max) if spec.range and spec.range.max is not None else 2100
        dv = DataValidation(
            type="date",
            operator="between",
            formula1=f"DATE({first},1,1)",
            formula2=f"DATE({last},12,31)",
            allow_blank=True,
        )
        dv.error, dv.errorTitle = "Enter a date, e.g. 2024-01-31.", "Not a date"
    elif spec.type in ("integer", "number"):
        kind = "whole" if spec.type == "integer" else "decimal"
        lo: float = spec.range.min if spec.range and spec.range.min is not None else -1e15
        hi: float = spec.range.max if spec.range and spec.range.max is not None else 1e15
        dv = DataValidation(
            type=kind, operator="between", formula1=f"{lo:g}", formula2=f"{hi:g}", allow_blank=True
        )
        dv.error = (
            "Enter " + TYPE_WORDS[spec.type] + (f" from {lo:g} to {hi:g}." if spec.range else ".")
        )
        dv.errorTitle = "Not a number"
    else:
        return DataValidation(allow_blank=True)
    dv.showErrorMessage = True
    dv.errorStyle = "stop"
    return dv

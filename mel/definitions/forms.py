"""The datasets of a project collected with a form (KoboToolbox, ODK): each form read, and the
dataset's template columns mapped to its fields before any data is read.

A template column maps to the form field of the same name (or one of the column's ``headers``),
or to the field ``columns:`` names in mel.yaml, or (for a repeat group's rows) to a field of
the submission the rows belong to, or to a constant under ``values:``. A required column that
maps to nothing is an error here; so is a mapping to a field the form does not have. A choice
the column's code list does not know is a warning: its records will fail validation."""

from __future__ import annotations

from pathlib import Path

from mel.definitions.catalog import Catalog
from mel.definitions.loader import Loaded
from mel.definitions.models import DatasetRef, Project, Template
from mel.definitions.xlsform import Form, read_form
from mel.errors import DefinitionError, Finding, hint_for, meant

SNAPSHOT_SUFFIX = ".json"


def newest_snapshot(folder: Path) -> Path | None:
    """The newest snapshot in a folder (their names sort by the time they were pulled)."""
    found = sorted(p for p in folder.glob(f"*{SNAPSHOT_SUFFIX}") if p.is_file())
    return found[-1] if found else None


def dataset_forms(loaded: Loaded[Project], root: Path, catalog: Catalog):
    """(dataset -> its form, findings) for the project's datasets."""
    forms: dict[str, Form] = {}
    findings: list[Finding] = []
    read: dict[Path, Form | None] = {}
    for name, ref in loaded.obj.datasets.items():
        here = ("datasets", name)
        tpl_name = ref.template or name
        if tpl_name not in catalog.templates:
            continue  # reported with the templates
        tpl = catalog.templates[tpl_name].obj
        findings += _constants(loaded, here, ref, tpl, catalog)
        findings += _source_path(loaded, here, ref, root)
        if ref.form is None:
            findings += _map_keys(loaded, here, ref, tpl)
            continue
        path = (root / ref.form).resolve()
        if path not in read:
            try:
                read[path] = read_form(path)
            except DefinitionError as exc:
                read[path] = None
                findings += exc.findings
        form = read[path]
        if form is None:
            continue
        forms[name] = form
        findings += _map_keys(loaded, here, ref, tpl)
        findings += _mapping(loaded, here, ref, tpl, form, catalog)
    return forms, findings


def _map_keys(loaded, here, ref: DatasetRef, tpl: Template) -> list[Finding]:
    out = []
    for key in [*ref.columns, *ref.values]:
        if tpl.column(key) is None:
            where = "columns" if key in ref.columns else "values"
            out.append(
                loaded.finding(
                    "unknown-column",
                    f"template '{tpl.name}' has no column '{key}'",
                    (*here, where, key),
                    prefer_key=True,
                    hint=hint_for(meant(key, tpl.column_names)),
                )
            )
    return out


def _constants(loaded, here, ref: DatasetRef, tpl: Template, catalog: Catalog) -> list[Finding]:
    """A constant of a code column must be one of its codes."""
    out = []
    for key, value in ref.values.items():
        spec = tpl.column(key)
        if spec is None or spec.codelist not in catalog.codelists:
            continue
        codelist = catalog.codelists[spec.codelist].obj
        if value not in codelist.spellings():
            out.append(
                loaded.finding(
                    "unknown-code",
                    f"'{value}' is not a code of the code list '{codelist.name}'",
                    (*here, "values", key),
                    hint=hint_for(meant(value, list(codelist.spellings()))),
                )
            )
    return out


def _source_path(loaded, here, ref: DatasetRef, root: Path) -> list[Finding]:
    if ref.source is None or not (root / ref.path).is_file():
        return []
    return [
        loaded.finding(
            "invalid",
            f"'{ref.path}' is a file: a dataset pulled from a server names the folder its "
            "snapshots are written to",
            (*here, "path"),
            hint="give a folder, e.g. path: snapshots/" + here[-1],
        )
    ]


def _mapping(loaded, here, ref: DatasetRef, tpl: Template, form: Form, catalog) -> list[Finding]:
    out: list[Finding] = []
    if ref.repeat is not None and ref.repeat not in form.repeats:
        out.append(
            loaded.finding(
                "invalid",
                f"the form {form.file} has no repeat group '{ref.repeat}'",
                (*here, "repeat"),
                hint=hint_for(
                    meant(ref.repeat, list(form.repeats)),
                    "its repeat groups: " + (", ".join(form.repeats) or "none"),
                ),
            )
        )
        return out
    for key, fieldname in ref.columns.items():
        if fieldname not in form.questions and not fieldname.startswith("_"):
            out.append(
                loaded.finding(
                    "unknown-column",
                    f"the form {form.file} has no field '{fieldname}'",
                    (*here, "columns", key),
                    hint=hint_for(meant(fieldname, list(form.questions))),
                )
            )
    for c in tpl.columns:
        q = field_of(c, ref, form)
        if q is None and c.required and c.name not in ref.values:
            where = "columns" if ref.columns else "form"
            out.append(
                loaded.finding(
                    "unmapped-column",
                    f"the template column '{c.name}' (required) is not a field of the form "
                    f"{form.file}",
                    (*here, where),
                    hint=hint_for(
                        meant(c.name, list(form.questions)),
                        f"map it under 'columns:' (e.g. {c.name}: FIELD) or give it a constant "
                        "under 'values:'",
                    ),
                )
            )
        elif q is not None and c.codelist in catalog.codelists:
            out += _choices(loaded, here, c, form.questions[q], form, catalog)
    return out


def field_of(column, ref: DatasetRef, form: Form) -> str | None:
    """The form field a template column is read from, or None. Export metadata (``_id``,
    ``_submission_time``) counts as a field: every export has it."""
    name = ref.columns.get(column.name)
    if name is not None:
        return name if name in form.questions else None
    for n in (column.name, *column.headers):
        if n in form.questions:
            q = form.questions[n]
            if ref.repeat is None and q.repeat is not None:
                continue  # a repeat group's field is not one per submission
            if ref.repeat is not None and q.repeat not in (None, ref.repeat):
                continue
            return n
    return None


def _choices(loaded, here, column, question, form: Form, catalog) -> list[Finding]:
    """A warning for the choices of a select question its column's code list does not know."""
    if question.list_name not in form.choices:
        return []
    spellings = catalog.codelists[column.codelist].obj.spellings()
    folded = {s.casefold() for s in spellings}
    unknown = [
        c.name for c in form.choices[question.list_name] if c.name.strip().casefold() not in folded
    ]
    if not unknown:
        return []
    shown = ", ".join(f"'{u}'" for u in unknown[:8]) + (" ..." if len(unknown) > 8 else "")
    return [
        loaded.finding(
            "unknown-code",
            f"the form's choices {shown} of '{question.name}' are not codes of the code list "
            f"'{column.codelist}' (column '{column.name}'): records answering them will fail "
            "validation",
            (*here, "form"),
            severity="warning",
            hint="add them to the code list (as codes or aliases), or make the code list "
            "from the form: mel codelists from-form",
        )
    ]


__all__ = ["SNAPSHOT_SUFFIX", "dataset_forms", "field_of", "newest_snapshot"]

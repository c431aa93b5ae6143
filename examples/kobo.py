"""The example's cases and assistance as a KoboToolbox project would hold them.

Writes, from ``examples/counter-trafficking``:

* ``forms/casework.xlsx``: an XLSForm for case registration, with groups, multi-select
  questions and a ``services`` repeat group (one row per service given to the person);
* ``data/casework.xlsx``: the submissions as KoboToolbox exports them (XML values and headers,
  groups in headers with ``/``, multi-select questions as one space-separated column and as
  0/1 columns per choice, the repeat group on its own sheet linked by ``_index`` /
  ``_parent_index``);
* ``mel.yaml``: the example project, its ``cases`` and ``assistance`` read from that export.

``records()`` gives the same submissions as KoboToolbox's API (``/api/v2/assets/UID/data/``)
sends them, for the tests of ``mel pull``.

    python examples/kobo.py OUT_FOLDER
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import shutil
import uuid
from pathlib import Path

import openpyxl
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE / "counter-trafficking"
TEMPLATES = HERE.parent / "templates"

# (group, question, XLSForm type, choice list or None)
CASE_QUESTIONS = [
    ("registration", "case_id", "text", None),
    ("registration", "registration_date", "date", None),
    ("registration", "country", "select_one", "country"),
    ("registration", "office", "text", None),
    ("person", "full_name", "text", None),
    ("person", "phone", "text", None),
    ("person", "sex", "select_one", "sex"),
    ("person", "age", "integer", None),
    ("person", "age_band", "select_one", "age_band"),
    ("person", "age_group", "select_one", "age_group"),
    ("person", "nationality", "select_one", "country"),
    ("situation", "trafficking_status", "select_one", "trafficking_status"),
    ("situation", "exploitation", "select_multiple", "exploitation_type"),
    ("situation", "labour_industry", "select_one", "labour_industry"),
    ("situation", "means_of_control", "select_multiple", "means_of_control"),
    ("situation", "identified_by", "select_one", "institution_type"),
    ("follow_up", "needs_assessment_date", "date", None),
    ("follow_up", "closure_date", "date", None),
    ("follow_up", "plan_completed", "select_one", "yes_no"),
]
SERVICE_QUESTIONS = [
    ("service_id", "text", None),
    ("service_date", "date", None),
    ("service_type", "select_one", "service_type"),
    ("provider", "text", None),
    ("cost_usd", "decimal", None),
]
COUNTRIES = ["SDN", "TZA", "NGA", "ETH", "ERI", "SSD", "KEN", "UGA", "LBY", "EGY", "SOM", "TCD"]


@functools.cache
def _codelist(name: str) -> list[tuple[str, str]]:
    if name == "country":
        return [(c, c) for c in COUNTRIES]
    if name == "yes_no":
        return [("yes", "Yes"), ("no", "No")]
    data = yaml.safe_load((TEMPLATES / "codelists" / f"{name}.yaml").read_text(encoding="utf-8"))
    return [(str(v["code"]), str(v.get("label") or v["code"])) for v in data["values"]]


def write_form(path: Path) -> None:
    wb = openpyxl.Workbook()
    survey = wb.active
    survey.title = "survey"
    survey.append(["type", "name", "label", "required"])
    survey.append(["start", "start", None, None])
    survey.append(["end", "end", None, None])
    lists: list[str] = []
    group = None
    for g, name, qtype, lst in CASE_QUESTIONS:
        if g != group:
            if group:
                survey.append(["end_group", None, None, None])
            survey.append(["begin_group", g, g.replace("_", " ").title(), None])
            group = g
        survey.append(
            [
                f"{qtype} {lst}" if lst else qtype,
                name,
                name.replace("_", " ").capitalize(),
                "true" if name in ("case_id", "registration_date") else "false",
            ]
        )
        if lst and lst not in lists:
            lists.append(lst)
    survey.append(["end_group", None, None, None])
    survey.append(["begin_repeat", "services", "Services given", None])
    for name, qtype, lst in SERVICE_QUESTIONS:
        survey.append(
            [f"{qtype} {lst}" if lst else qtype, name, name.replace("_", " ").capitalize(), "false"]
        )
        if lst and lst not in lists:
            lists.append(lst)
    survey.append(["end_repeat", None, None, None])
    choices = wb.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for lst in lists:
        for code, label in _codelist(lst):
            choices.append([lst, code, label])
    settings = wb.create_sheet("settings")
    settings.append(["form_title", "form_id", "version"])
    settings.append(["Case registration", "casework", "2024-1"])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def load_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    read = lambda f: pd.read_csv(EXAMPLE / "data" / f, dtype=str, keep_default_na=False)  # noqa: E731
    return read("cases.csv"), read("assistance.csv")


def _submission(case: pd.Series, number: int) -> dict:
    """The meta fields KoboToolbox adds to a submission."""
    day = case["registration_date"]
    return {
        "start": f"{day}T09:{number % 60:02d}:00.000+03:00",
        "end": f"{day}T09:{number % 60:02d}:40.000+03:00",
        "_id": 100000 + number,
        "_uuid": str(uuid.UUID(int=number + 1)),
        "_submission_time": f"{day}T10:00:00",
    }


def _choices(lst: str) -> list[str]:
    return [code for code, _ in _codelist(lst)]


def write_export(cases: pd.DataFrame, services: pd.DataFrame, path: Path) -> None:
    """A KoboToolbox XLSX export: XML values and headers, groups separated by '/',
    multi-select questions as a space-separated column and as 0/1 columns."""
    wb = openpyxl.Workbook(write_only=True)
    main = wb.create_sheet("Case registration")
    header = ["start", "end"]
    for g, name, qtype, lst in CASE_QUESTIONS:
        header.append(f"{g}/{name}")
        if qtype == "select_multiple":
            header += [f"{g}/{name}/{c}" for c in _choices(lst)]
    meta = [
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_notes",
        "_status",
        "_submitted_by",
        "__version__",
        "_tags",
        "_index",
    ]
    main.append(header + meta)
    for i, case in enumerate(cases.to_dict("records"), start=1):
        sub = _submission(pd.Series(case), i)
        row: list = [sub["start"], sub["end"]]
        for _g, name, qtype, lst in CASE_QUESTIONS:
            value = case[name]
            if qtype == "select_multiple":
                chosen = [v for v in value.split(";") if v]
                row.append(" ".join(chosen) or None)
                row += [(1 if c in chosen else 0) if chosen else None for c in _choices(lst)]
            elif qtype == "integer" and value:
                row.append(int(value))
            elif qtype == "date" and value:
                row.append(dt.date.fromisoformat(value))
            else:
                row.append(value or None)
        row += [
            sub["_id"],
            sub["_uuid"],
            sub["_submission_time"],
            None,
            None,
            "submitted_via_web",
            None,
            "vAbc123",
            None,
            i,
        ]
        main.append(row)
    rep = wb.create_sheet("services")
    rep.append(
        [f"services/{n}" for n, _, _ in SERVICE_QUESTIONS]
        + [
            "_index",
            "_parent_table_name",
            "_parent_index",
            "_submission__id",
            "_submission__uuid",
            "_submission__submission_time",
        ]
    )
    index = {cid: i for i, cid in enumerate(cases["case_id"], start=1)}
    ordered = services.assign(_p=services["case_id"].map(index)).sort_values("_p", kind="stable")
    for j, s in enumerate(ordered.to_dict("records"), start=1):
        p = int(s["_p"])
        rep.append(
            [
                s["service_id"],
                dt.date.fromisoformat(s["service_date"]),
                s["service_type"],
                s["provider"] or None,
                float(s["cost_usd"]) if s["cost_usd"] else None,
                j,
                "Case registration",
                p,
                100000 + p,
                str(uuid.UUID(int=p + 1)),
                None,
            ]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def records(cases: pd.DataFrame, services: pd.DataFrame) -> list[dict]:
    """The submissions as KoboToolbox's API sends them: answers keyed by their group path,
    multi-select answers space-separated, the repeat group a list of its rows."""
    by_case: dict[str, list[dict]] = {}
    for s in services.to_dict("records"):
        by_case.setdefault(s["case_id"], []).append(
            {f"services/{n}": s[n] for n, _, _ in SERVICE_QUESTIONS if s[n] != ""}
        )
    out = []
    for i, case in enumerate(cases.to_dict("records"), start=1):
        rec: dict = {}
        sub = _submission(pd.Series(case), i)
        rec["start"], rec["end"] = sub["start"], sub["end"]
        for g, name, qtype, _lst in CASE_QUESTIONS:
            value = case[name]
            if value == "":
                continue  # KoboToolbox leaves unanswered questions out
            rec[f"{g}/{name}"] = " ".join(value.split(";")) if qtype == "select_multiple" else value
        if case["case_id"] in by_case:
            rec["services"] = by_case[case["case_id"]]
        rec.update({k: sub[k] for k in ("_id", "_uuid", "_submission_time")})
        rec.update(
            {
                "formhub/uuid": "f0e1d2c3",
                "__version__": "vAbc123",
                "meta/instanceID": f"uuid:{sub['_uuid']}",
                "_attachments": [],
                "_status": "submitted_via_web",
                "_geolocation": [None, None],
                "_tags": [],
                "_notes": [],
                "_validation_status": {},
                "_submitted_by": None,
            }
        )
        out.append(rec)
    return out


def write_odk_zip(cases: pd.DataFrame, services: pd.DataFrame, path: Path) -> None:
    """An ODK Central export (CSV zip): casework.csv and casework-services.csv, groups in
    headers separated by '-', multi-select answers space-separated, repeat rows linked by
    KEY / PARENT_KEY."""
    import io
    import zipfile

    main_rows, rep_rows = [], []
    keys = {}
    for i, case in enumerate(cases.to_dict("records"), start=1):
        key = f"uuid:{uuid.UUID(int=i + 1)}"
        keys[case["case_id"]] = key
        row = {
            "SubmissionDate": f"{case['registration_date']}T10:00:00.000Z",
            "start": f"{case['registration_date']}T09:00:00.000+03:00",
        }
        for g, name, qtype, _ in CASE_QUESTIONS:
            v = case[name]
            row[f"{g}-{name}"] = " ".join(v.split(";")) if qtype == "select_multiple" else v
        row.update(
            {
                "meta-instanceID": key,
                "KEY": key,
                "SubmitterID": "7",
                "SubmitterName": "officer",
                "Status": "",
                "ReviewState": "",
                "Edits": "0",
            }
        )
        main_rows.append(row)
    counts: dict[str, int] = {}
    for s in services.to_dict("records"):
        parent = keys[s["case_id"]]
        counts[parent] = counts.get(parent, 0) + 1
        rep_rows.append(
            {n: s[n] for n, _, _ in SERVICE_QUESTIONS}
            | {"PARENT_KEY": parent, "KEY": f"{parent}/services[{counts[parent]}]"}
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, rows in (("casework.csv", main_rows), ("casework-services.csv", rep_rows)):
            buf = io.StringIO()
            pd.DataFrame(rows).to_csv(buf, index=False)
            zf.writestr(name, buf.getvalue())


def central_values(cases: pd.DataFrame, services: pd.DataFrame) -> list[dict]:
    """The submissions as ODK Central's OData feed sends them (``$expand=*``): groups as
    nested objects, unanswered questions null, the repeat group a list of its rows."""
    by_case: dict[str, list[dict]] = {}
    for s in services.to_dict("records"):
        row = {"__id": f"svc-{s['service_id']}"}
        for n, qtype, _ in SERVICE_QUESTIONS:
            v = s[n]
            row[n] = (float(v) if qtype == "decimal" else v) if v != "" else None
        by_case.setdefault(s["case_id"], []).append(row)
    out = []
    for i, case in enumerate(cases.to_dict("records"), start=1):
        key = f"uuid:{uuid.UUID(int=i + 1)}"
        value: dict = {
            "__id": key,
            "__system": {
                "submissionDate": f"{case['registration_date']}T10:00:00.000Z",
                "submitterId": "7",
                "submitterName": "officer",
                "edits": 0,
                "reviewState": None,
                "formVersion": "2024-1",
            },
            "meta": {"instanceID": key},
            "start": f"{case['registration_date']}T09:00:00.000+03:00",
        }
        for g, name, qtype, _ in CASE_QUESTIONS:
            v = case[name]
            if qtype == "select_multiple":
                v = " ".join(v.split(";"))
            elif qtype == "integer" and v:
                v = int(v)
            value.setdefault(g, {})[name] = v if v != "" else None
        value["services"] = by_case.get(case["case_id"], [])
        value["services@odata.navigationLink"] = f"Submissions('{key}')/services"
        out.append(value)
    return out


def read_form_choices(path: Path) -> dict[str, dict[str, str]]:
    """The form's choice lists: list -> {name: label}."""
    wb = openpyxl.load_workbook(path, read_only=True)
    out: dict[str, dict[str, str]] = {}
    for lst, name, label in list(wb["choices"].iter_rows(values_only=True))[1:]:
        out.setdefault(lst, {})[name] = label
    return out


def project_yaml(export: str = "data/casework.xlsx", source: dict | None = None) -> str:
    text = (EXAMPLE / "mel.yaml").read_text(encoding="utf-8")
    cases = {"path": export, "form": "forms/casework.xlsx"}
    assistance = {**cases, "repeat": "services"}
    if source:
        cases["source"] = assistance["source"] = source
    new = f"  cases: {json.dumps(cases)}\n  assistance: {json.dumps(assistance)}\n"
    lines = text.splitlines(keepends=True)
    out = []
    for line in lines:
        if line.startswith("  cases:"):
            out.append(new)
        elif line.startswith("  assistance:"):
            continue
        else:
            out.append(line)
    return "".join(out)


def write_project(out: Path, *, export: bool = True, cases: int | None = None) -> Path:
    """The example project with its cases and assistance as a KoboToolbox export (without
    ``export``: the form and mel.yaml only; ``cases``: the first cases only)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(EXAMPLE, out)
    (out / "data" / "cases.csv").unlink()
    (out / "data" / "assistance.csv").unlink()
    limit = cases
    cases_, services = load_example()
    if limit is not None:
        cases_ = cases_.iloc[:limit]
        services = services[services["case_id"].isin(cases_["case_id"])]
    write_form(out / "forms" / "casework.xlsx")
    if export:
        write_export(cases_, services, out / "data" / "casework.xlsx")
    (out / "mel.yaml").write_text(project_yaml(), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="the project folder to write")
    args = ap.parse_args(argv)
    print(write_project(args.out))


if __name__ == "__main__":
    main()

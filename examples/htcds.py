"""The example's cases as data collected with the published HTCDS case form.

The Human Trafficking Case Data Standard (HTCDS 2.0) by IOM, CC BY 4.0: its XLSForm and Excel
kit are in ``examples/htcds/``. From the example's registrations in one country
(one form per country, as offices deploy it), this writes:

* ``data/htcds.xlsx``: a KoboToolbox export of the HTCDS XLSForm (XML values and headers,
  multi-select questions as a space-separated column and as 0/1 columns);
* ``forms/htcds_xlsform.xlsx``: the form itself (copied);
* ``mel.yaml``: a project reading it with the bundled ``htcds_cases`` template, the country
  given once under ``values:``;
* ``kit(...)``: the same records typed into the HTCDS Excel kit (labels, one value per cell).

    python examples/htcds.py OUT_FOLDER
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import uuid
import warnings
from pathlib import Path

import openpyxl
import pandas as pd

# the kit's drop-down lists use an Excel extension openpyxl does not keep; the values are all
# this needs
warnings.filterwarnings("ignore", message="Data Validation extension", category=UserWarning)

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE / "counter-trafficking"
REFERENCE = HERE / "htcds"  # the form and the kit, as IOM publishes them (CC BY 4.0)
FORM, KIT = "htcds_xlsform.xlsx", "htcds_excel_single_select_v2.0.xlsx"

# mel's codes -> the HTCDS choice names (the reverse of the htcds_cases template's map, written
# here on its own so that the round trip checks both)
SEX = {"Female": "Feminine", "Male": "Masculine", "Other": "NonConforming", "Unknown":
       "NonSpecifiedUnknown", "": ""}  # fmt: skip
STATUS = {"actual": "ActualVictimOfTrafficking", "possible": "PossibleVictimOfTrafficking",
          "not_a_victim": "NotAVictimOfTrafficking"}  # fmt: skip
EXPLOITATION = {"forced_labour": "ForcedLabour", "sexual": "SexualExploitation", "child_labour":
                "ChildLabour", "forced_marriage": "ForcedMarriage", "servitude": "Servitude",
                "forced_military": "ForcedMilitaryByNonStateActors", "organ_removal":
                "OrganRemoval", "begging": "ForcedBegging", "forced_adoption": "ForcedAdoption",
                "surrogacy": "Surrogacy", "other": "Other",
                "forced_criminality": "Other"}  # fmt: skip
CONTROL = {"physical_threats": "PhysicalThreats", "threats_law_enforcement":
           "ThreatsLawEnforcement", "threats_family": "ThreatensChildrenFamily", "debt_bondage":
           "DebtBondage", "false_promises": "FalsePromises", "physical_abuse": "PhysicalAbuse",
           "sexual_abuse": "SexualAbuse", "takes_earnings": "TakesEarnings",
           "restricts_financial_access": "RestrictsFinancialAccess", "restricts_medical_care":
           "RestrictsMedicalCare", "withholds_necessities": "WithholdsNecessities",
           "psychological_abuse": "PsychologicalAbuse", "psychoactive_substances":
           "PsychoactiveSubstance", "excessive_working_hours": "ExcessiveWorkingHours",
           "withholds_documents": "WithholdsDocuments", "other": "Other"}  # fmt: skip
INDUSTRY = {"A": "A_AgricultureForestryAndFishing", "C": "C_Manufacturing", "F": "F_Construction",
            "G": "G_WholesaleAndRetailTradeRepairOfMotorVehicles", "I":
            "I_AccommodationAndFoodServiceActivities", "T": "T_ActivitiesOfHouseholdsAsEmployers",
            "B": "B_MiningAndQuarrying", "H": "H_TransportationAndStorage", "S":
            "S_OtherServiceActivities"}  # fmt: skip
MULTI = {"vic_TypeOfExploitation": "typeofexploitation", "vic_Methods_of_Control":
         "methodsofcontrol", "vic_ForcedLabourIndustry": "forcedlabourindustry"}  # fmt: skip


def _alpha2(code: str) -> str:
    import pycountry

    c = pycountry.countries.get(alpha_3=code)
    return c.alpha_2 if c else ""


def _born(case: dict) -> str:
    """A birth date giving the recorded age on the registration day (1 January of the year)."""
    if not case["age"]:
        return ""
    reg = dt.date.fromisoformat(case["registration_date"])
    return dt.date(reg.year - int(case["age"]), 1, 1).isoformat()


def _codes(value: str, table: dict) -> str:
    return " ".join(dict.fromkeys(table[v] for v in value.split(";") if v))


def htcds_records(cases: pd.DataFrame) -> pd.DataFrame:
    """The cases as the HTCDS form's answers (question names as the form writes them)."""
    rows = []
    for c in cases.to_dict("records"):
        first, _, second = c["full_name"].partition(" ")
        rows.append({
            "start": f"{c['registration_date']}T08:30:00.000+03:00",
            "end": f"{c['registration_date']}T08:55:00.000+03:00",
            "con_Consent": "TRUE",
            "prs_First_Name": first, "prs_Second_Name": second,
            "prs_Birthdate": _born(c), "prs_Gender": SEX[c["sex"]],
            "prs_Citizenship": _alpha2(c["nationality"]) if c["nationality"] else "",
            "prs_MobilePhone": c["phone"],
            "vic_TraffickingStatus": STATUS[c["trafficking_status"]],
            "vic_Methods_of_Control": _codes(c["means_of_control"], CONTROL),
            "vic_TypeOfExploitation": _codes(c["exploitation"], EXPLOITATION),
            "vic_ForcedLabourIndustry": _codes(c["labour_industry"], INDUSTRY),
            "cas_Status": "Closed" if c["closure_date"] else "Active",
        })  # fmt: skip
    return pd.DataFrame(rows)


def _choices(reference: Path) -> dict[str, list[tuple[str, str]]]:
    wb = openpyxl.load_workbook(reference / FORM, read_only=True)
    out: dict[str, list[tuple[str, str]]] = {}
    for lst, name, label in list(wb["choices"].iter_rows(values_only=True))[1:]:
        if lst:
            out.setdefault(lst, []).append((str(name).strip(), str(label).strip()))
    return out


def write_kobo_export(records: pd.DataFrame, path: Path, reference: Path) -> None:
    choices = _choices(reference)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("HTCDS Core 2.0")
    header: list[str] = []
    for col in records.columns:
        header.append(col)
        if col in MULTI:
            header += [f"{col}/{name}" for name, _ in choices[MULTI[col]]]
    ws.append([*header, "_id", "_uuid", "_submission_time", "_index"])
    for i, rec in enumerate(records.to_dict("records"), start=1):
        row: list = []
        for col in records.columns:
            value = rec[col]
            row.append(value or None)
            if col in MULTI:
                chosen = value.split()
                row += [
                    (1 if n in chosen else 0) if chosen else None for n, _ in choices[MULTI[col]]
                ]
        stamp = rec["start"][:10] + "T06:00:00"
        ws.append([*row, 200000 + i, str(uuid.UUID(int=10**6 + i)), stamp, i])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def write_kit(records: pd.DataFrame, path: Path, reference: Path) -> None:
    """The records typed into the HTCDS Excel kit: its Case Sheet from row 3, labels as its
    drop-down lists show them, one value per cell (the kit is single-select)."""
    labels = {name: label for lst in _choices(reference).values() for name, label in lst}
    labels.update({"Feminine": "Feminine", "Masculine": "Masculine"})  # the kit lists names
    wb = openpyxl.load_workbook(reference / KIT)
    ws = wb["Case Sheet"]
    columns = {str(c.value): c.column for c in ws[1] if c.value}
    rename = {"prs_First_Name": "prs_FirstName", "prs_Second_Name": "prs_SecondName",
              "vic_Methods_of_Control": "vic_MethodsOfControl"}  # fmt: skip
    for r, rec in enumerate(records.to_dict("records"), start=3):
        for col, value in rec.items():
            name = rename.get(col, col)
            if name not in columns or not value:
                continue
            if col in MULTI or col in ("prs_Gender", "vic_TraffickingStatus", "cas_Status"):
                value = labels.get(value.split()[0], value.split()[0])
            if col == "con_Consent":
                value = "Yes"
            if col == "prs_Birthdate":
                value = dt.date.fromisoformat(value)
            ws.cell(row=r, column=columns[name], value=value)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def write_project(out: Path, country: str = "SDN", reference: Path = REFERENCE) -> Path:
    if out.exists():
        shutil.rmtree(out)
    (out / "forms").mkdir(parents=True)
    shutil.copy(reference / FORM, out / "forms" / FORM)
    cases = pd.read_csv(EXAMPLE / "data" / "cases.csv", dtype=str, keep_default_na=False)
    records = htcds_records(cases[cases["country"] == country])
    write_kobo_export(records, out / "data" / "htcds.xlsx", reference)
    (out / "mel.yaml").write_text(
        "# The example's registrations in one country, collected with the HTCDS form\n"
        "name: HTCDS case form (example)\ndonor: Example donor\n"
        f"countries: [{country}]\nstart: 2023-01-01\nend: 2025-12-31\n"
        "reporting: {period: quarter, fiscal_year_start: 10}\n"
        "datasets:\n"
        "  cases:\n"
        "    path: data/htcds.xlsx\n"
        f"    form: forms/{FORM}\n"
        "    template: htcds_cases\n"
        f"    values: {{country: {country}}}\n"
        "indicators:\n"
        "  select: [PROT-01, PROT-03, CTX-02, CTX-03, CTX-04, CTX-05, CTX-06]\n",
        encoding="utf-8",
    )
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="the project folder to write")
    ap.add_argument("--reference", type=Path, default=REFERENCE, help="the HTCDS files")
    args = ap.parse_args(argv)
    print(write_project(args.out, reference=args.reference))


if __name__ == "__main__":
    main()

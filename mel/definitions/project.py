"""A project: ``mel.yaml``, its indicator selection, its own definitions and its targets, loaded
whole and cross-checked against the catalog and templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mel import resources
from mel.definitions.catalog import Catalog, check_indicator, load_catalog
from mel.definitions.forms import dataset_forms, newest_snapshot
from mel.definitions.loader import (
    Loaded,
    load_indicator_file,
    load_project_file,
    yaml_files,
)
from mel.definitions.models import PILLARS, Indicator, Project, Target
from mel.definitions.tables import load_narratives, load_targets
from mel.definitions.words import ALL
from mel.definitions.yamlio import display_path
from mel.errors import DefinitionError, Finding, did_you_mean, hint_for, make


@dataclass
class LocatedTarget:
    target: Target
    file: str
    line: int | None


@dataclass
class ProjectBundle:
    """Everything declarative about a project, checked."""

    root: Path
    project: Project
    catalog: Catalog
    indicators: list[Indicator] = field(default_factory=list)  # selected, overrides applied
    targets: list[LocatedTarget] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    narratives: dict = field(default_factory=dict)  # (indicator, country, period) -> text
    forms: dict = field(default_factory=dict)  # dataset -> the XLSForm it was collected with

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def input_paths(self) -> list[Path]:
        """Every file the project reads: mel.yaml, its datasets (a pulled dataset's newest
        snapshot), their forms and its targets file."""
        paths = [self.root / "mel.yaml"]
        for ref in self.project.datasets.values():
            path = self.root / ref.path
            if path.is_dir():
                path = newest_snapshot(path) or path
            paths.append(path)
            if ref.form:
                paths.append(self.root / ref.form)
        if isinstance(self.project.targets, str):
            paths.append(self.root / self.project.targets)
        if self.project.narratives:
            paths.append(self.root / self.project.narratives)
        return [p.resolve() for p in paths]


def resolve_selection(selection: list[str], catalog: Catalog) -> tuple[list[str], list[str]]:
    """Indicator ids chosen by a selection (ids, ``PREFIX*`` or ``PREFIX`` before a dash, pillar
    names, reference codes).

    Returns (ids in catalog order, entries that matched nothing)."""
    ids = list(catalog.indicators)
    if not selection:
        return ids, []
    chosen: list[str] = []
    unmatched: list[str] = []
    for entry in selection:
        if entry in catalog.indicators:
            hits = [entry]
        elif entry.lower() in PILLARS:
            hits = [i for i in ids if catalog.indicators[i].obj.pillar == entry.lower()]
        elif entry.endswith("*"):
            hits = [i for i in ids if i.startswith(entry[:-1])]
        elif any(i.startswith(entry + "-") for i in ids):  # PROT: every PROT-nn
            hits = [i for i in ids if i.startswith(entry + "-")]
        else:
            hits = [
                i for i in ids if any(r.code == entry for r in catalog.indicators[i].obj.references)
            ]
        if not hits:
            unmatched.append(entry)
        chosen += [h for h in hits if h not in chosen]
    return chosen, unmatched


def load_project(path: Path) -> ProjectBundle:
    """Load and check a project folder (or its ``mel.yaml``); raises one DefinitionError with
    every problem found."""
    path = Path(path)
    root = path if path.is_dir() else path.parent
    loaded, findings = load_project_file(path)
    if loaded is None:
        raise DefinitionError(findings)
    project = loaded.obj
    template_dirs = [resources.templates_dir()] + [root / t for t in project.templates]
    catalog = load_catalog(None, template_dirs)
    findings += catalog.findings
    local_ids, more = _own_indicators(loaded, root, catalog)
    findings += more
    selected, more = _selection(loaded, catalog, local_ids, errors_so_far=findings)
    findings += more
    # A catalog indicator the project does not use may not fit the project's own templates
    # (which replace the bundled ones of the same name): its problems are not the project's.
    used = {str(catalog.indicators[i].doc.file) for i in selected}
    unused = {str(ld.doc.file) for i, ld in catalog.indicators.items() if i not in selected} - used
    findings = [f for f in findings if f.file is None or str(f.file) not in unused]
    indicators, more = _with_overrides(loaded, catalog, selected)
    findings += more + _dataset_templates(loaded, catalog)
    targets, more = _targets(loaded, root, catalog)
    findings += more
    narratives, more = _narratives(loaded, root, indicators)
    findings += more
    forms, more = dataset_forms(loaded, root, catalog)
    findings += more
    bundle = ProjectBundle(root, project, catalog, indicators, targets, findings)
    bundle.narratives = narratives
    bundle.forms = forms
    if bundle.errors:
        raise DefinitionError(findings)
    return bundle


def _own_indicators(loaded: Loaded[Project], root: Path, catalog: Catalog):
    """The project's own definitions (``indicators: paths``), added to the catalog and
    checked: their ids and the findings."""
    findings: list[Finding] = []
    project = loaded.obj
    local_paths = [root / p for p in project.indicators.paths]
    for p, rel in zip(local_paths, project.indicators.paths, strict=True):
        if not p.exists():
            findings.append(
                loaded.finding(
                    "file-missing",
                    make("file-missing", path=rel),
                    ("indicators", "paths", project.indicators.paths.index(rel)),
                )
            )
    local_ids: list[str] = []
    for f in yaml_files([p for p in local_paths if p.exists()]):
        inds, more = load_indicator_file(f)
        findings += more
        for ld in inds:
            if ld.obj.id in catalog.indicators:
                findings.append(
                    ld.finding(
                        "duplicate-id",
                        make(
                            "duplicate-id",
                            kind="indicator",
                            name=ld.obj.id,
                            other=catalog.indicators[ld.obj.id].where,
                        ),
                        ("id",),
                        hint="give the project's indicator its own id, or use 'overrides:'",
                    )
                )
                continue
            catalog.indicators[ld.obj.id] = ld
            local_ids.append(ld.obj.id)
            findings += check_indicator(ld, catalog)

    return local_ids, findings


def _selection(
    loaded: Loaded[Project], catalog: Catalog, local_ids: list[str], errors_so_far: list[Finding]
):
    """The ids of the indicators the project selects (and its own), and the findings of
    entries that match none."""
    findings: list[Finding] = []
    project = loaded.obj
    if project.indicators.select:
        selected, unmatched = resolve_selection(list(project.indicators.select), catalog)
    else:  # nothing selected from the catalog: the project's own indicators, if any
        selected, unmatched = list(local_ids), []
        if not local_ids and not any(f.severity == "error" for f in errors_so_far):
            findings.append(
                loaded.finding(
                    "invalid",
                    "mel.yaml selects no indicators",
                    ("indicators", "select"),
                    hint="list them under 'indicators: select: [...]' (ids, id prefixes such "
                    "as PROT, pillars or reference codes; see 'mel indicators list'), or "
                    "name the project's own definitions under 'indicators: paths: [...]'",
                )
            )
    for entry in unmatched:
        i = project.indicators.select.index(entry)
        guess = did_you_mean(entry, [*catalog.indicators, *PILLARS])
        findings.append(
            loaded.finding(
                "unknown-indicator",
                make("unknown-indicator", name=entry),
                ("indicators", "select", i),
                hint=hint_for(
                    guess, "give an id, an id prefix ending in *, a pillar or a reference code"
                ),
            )
        )
    if project.indicators.select:
        selected += [i for i in local_ids if i not in selected]
    # A catalog indicator the project does not use may not fit the project's own templates
    # (which replace the bundled ones of the same name): its problems are not the project's.
    used = {str(catalog.indicators[i].doc.file) for i in selected}
    unused = {str(ld.doc.file) for i, ld in catalog.indicators.items() if i not in selected} - used
    findings = [f for f in findings if f.file is None or str(f.file) not in unused]

    return selected, findings


def _with_overrides(loaded: Loaded[Project], catalog: Catalog, selected: list[str]):
    """The selected indicators with the project's overrides applied, and the overrides' findings."""
    findings: list[Finding] = []
    project = loaded.obj
    indicators: list[Indicator] = []
    for ident in selected:
        ind = catalog.indicators[ident].obj
        override = project.indicators.overrides.get(ident)
        if override is not None:
            changes = override.model_dump(exclude_none=True)
            if "disaggregations" in changes:
                changes["disaggregations"] = override.disaggregations
            ind = ind.model_copy(update=changes)
            findings += _check_override(loaded, ident, override, ind, catalog)
        indicators.append(ind)
    for ident in project.indicators.overrides:
        if ident not in catalog.indicators:
            findings.append(
                loaded.finding(
                    "unknown-indicator",
                    make("unknown-indicator", name=ident),
                    ("indicators", "overrides", ident),
                    prefer_key=True,
                )
            )
        elif ident not in selected:
            findings.append(
                loaded.finding(
                    "invalid",
                    f"indicator '{ident}' has overrides but is not selected",
                    ("indicators", "overrides", ident),
                    prefer_key=True,
                    severity="warning",
                )
            )

    return indicators, findings


def _dataset_templates(loaded: Loaded[Project], catalog: Catalog):
    """Findings of datasets naming a template that is not defined."""
    findings: list[Finding] = []
    project = loaded.obj
    for name, ref in project.datasets.items():
        tpl = ref.template or name
        if tpl not in catalog.templates:
            guess = did_you_mean(tpl, catalog.templates)
            findings.append(
                loaded.finding(
                    "unknown-dataset",
                    f"dataset '{name}' uses template '{tpl}', which is not defined",
                    ("datasets", name, "template") if ref.template else ("datasets", name),
                    prefer_key=ref.template is None,
                    hint=hint_for(guess),
                )
            )
    return findings


def _targets(loaded: Loaded[Project], root: Path, catalog: Catalog):
    """The targets (from mel.yaml or the targets file), each with where it was written, and
    their findings."""
    findings: list[Finding] = []
    project = loaded.obj
    targets: list[LocatedTarget] = []
    if isinstance(project.targets, str):
        tpath = root / project.targets
        if not tpath.exists():
            findings.append(
                loaded.finding(
                    "file-missing",
                    make("file-missing", path=project.targets),
                    ("targets",),
                )
            )
        else:
            rows, more = load_targets(tpath)
            findings += more
            shown = display_path(tpath)
            targets = [LocatedTarget(t, shown, line) for line, t in rows]
    elif isinstance(project.targets, list):
        for i, t in enumerate(project.targets):
            m = loaded.doc.mark(("targets", i))
            targets.append(LocatedTarget(t, loaded.doc.file, m.line if m else None))
    findings += check_targets(targets, catalog, project)
    return targets, findings


def _narratives(loaded: Loaded[Project], root: Path, indicators: list[Indicator]):
    """The variance narratives by (indicator, country, period), and their findings."""
    findings: list[Finding] = []
    project = loaded.obj
    narratives: dict = {}
    if project.narratives:
        npath = root / project.narratives
        if not npath.exists():
            findings.append(
                loaded.finding(
                    "file-missing", make("file-missing", path=project.narratives), ("narratives",)
                )
            )
        else:
            rows_n, more = load_narratives(npath)
            findings += more
            shown = display_path(npath)
            chosen = {i.id for i in indicators}
            for line, n in rows_n:
                where: dict[str, Any] = {"file": shown, "line": line, "scope": "cell"}
                if n.indicator not in chosen:
                    guess = did_you_mean(n.indicator, sorted(chosen))
                    findings.append(
                        Finding(
                            "unknown-indicator",
                            f"a narrative for '{n.indicator}', which the project does not select",
                            field="indicator",
                            hint=hint_for(guess),
                            **where,
                        )
                    )
                elif n.country != ALL and n.country not in project.countries:
                    findings.append(
                        Finding(
                            "bad-cell",
                            f"country '{n.country}' is not one of the project's countries",
                            field="country",
                            hint="use one of " + ", ".join(project.countries) + " or ALL",
                            **where,
                        )
                    )
                else:
                    narratives[(n.indicator, n.country, n.period)] = n.text

    return narratives, findings


def _check_override(loaded, ident: str, override, ind: Indicator, catalog: Catalog) -> list:
    """An override's filter and disaggregations, checked against the indicator's template and
    located in mel.yaml."""
    from mel import filters as flt
    from mel.definitions.loader import filter_finding

    out: list[Finding] = []
    here = ("indicators", "overrides", ident)
    if ind.dataset not in catalog.templates:
        return out
    tpl = catalog.templates[ind.dataset].obj
    if override.where is not None:
        try:
            errors = flt.check(flt.parse(override.where), catalog.column_infos(ind.dataset))
        except flt.FilterError as exc:
            errors = [exc]
        out += [filter_finding(loaded.doc, (*here, "where"), e) for e in errors]
    for i, d in enumerate(override.disaggregations or []):
        if tpl.column(d.column) is None:
            guess = did_you_mean(d.column, tpl.column_names)
            out.append(
                loaded.finding(
                    "unknown-column",
                    make("unknown-column", dataset=ind.dataset, name=d.column),
                    (*here, "disaggregations", i),
                    hint=hint_for(guess),
                )
            )
    return out


def is_project(path: Path) -> bool:
    """A project folder (holding mel.yaml) or a project file."""
    from mel.definitions.loader import PROJECT_FILE

    path = Path(path)
    return (path.is_dir() and (path / PROJECT_FILE).is_file()) or path.name == PROJECT_FILE


def lint_project(path: Path) -> tuple[list[Finding], int]:
    """(every finding of a project: mel.yaml, its own definitions and templates, the selected
    indicators against its templates, its targets; the number of indicators selected)."""
    try:
        bundle = load_project(path)
    except DefinitionError as exc:
        return list(exc.findings), 0
    return bundle.findings, len(bundle.indicators)


def check_targets(
    targets: list[LocatedTarget], catalog: Catalog, project: Project
) -> list[Finding]:
    out: list[Finding] = []
    seen: dict[tuple[str, str, str], LocatedTarget] = {}
    for lt in targets:
        t = lt.target

        def finding(message: str, field: str, hint: str | None = None, lt=lt) -> Finding:
            return Finding(
                "bad-cell",
                message,
                file=lt.file,
                line=lt.line,
                field=field,
                scope="cell",
                hint=hint,
            )

        if t.indicator not in catalog.indicators:
            guess = did_you_mean(t.indicator, list(catalog.indicators))
            out.append(
                Finding(
                    "unknown-indicator",
                    f"target for an unknown indicator '{t.indicator}'",
                    file=lt.file,
                    line=lt.line,
                    field="indicator",
                    scope="cell",
                    hint=hint_for(guess),
                )
            )
        if t.country != ALL and t.country not in project.countries:
            out.append(
                finding(
                    f"country '{t.country}' is not one of the project's countries",
                    "country",
                    "use one of " + ", ".join(project.countries) + " or ALL",
                )
            )
        key = (t.indicator, t.country, t.period)
        if key in seen:
            out.append(
                finding(
                    f"a second target for {t.indicator}, {t.country}, {t.period} "
                    f"(first at row {seen[key].line})",
                    "period",
                    "keep one row per indicator, country and period",
                )
            )
        else:
            seen[key] = lt
    return out


__all__ = ["Loaded", "ProjectBundle", "load_project", "resolve_selection"]

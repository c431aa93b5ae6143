"""The YAML loader: YAML 1.1 traps become text or errors, and every value has a location."""

from __future__ import annotations

from pathlib import Path

import pytest

from mel.definitions.yamlio import load_file, load_text


def load(text: str):
    doc, findings = load_text(text, "t.yaml")
    return doc, findings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("country: NO", "NO"),
        ("x: yes", "yes"),
        ("x: off", "off"),
        ("x: On", "On"),
        ("x: 010", "010"),
        ("x: 0x1F", "0x1F"),
        ("x: 2024-01-01", "2024-01-01"),
        ("x: 12:30:00", "12:30:00"),
        ("x: .inf", ".inf"),
        ("x: 1_000", "1_000"),
        ("x: true", True),
        ("x: False", False),
        ("x: 10", 10),
        ("x: -2.5", -2.5),
        ("x: 1e3", 1000.0),
        ("x: ~", None),
        ("x:", None),
        ("x: '010'", "010"),
        ('x: "true"', "true"),
    ],
)
def test_scalars_are_read_without_yaml_1_1_surprises(text, expected):
    doc, findings = load(text)
    assert findings == []
    value = next(iter(doc.data.values()))
    assert value == expected and type(value) is type(expected)


def test_every_value_has_its_location():
    doc, _ = load("a: 1\nb:\n  c: [x, y]\n  d:\n    - e: z\n")
    assert doc.mark(("a",)).line == 1 and doc.mark(("a",)).column == 4
    assert doc.mark(("b", "c", 1)).line == 3 and doc.mark(("b", "c", 1)).column == 10
    assert (doc.mark(("b", "d", 0, "e")).line, doc.mark(("b", "d", 0, "e")).column) == (5, 10)
    assert doc.mark(("b", "d", 0, "e"), prefer_key=True).column == 7
    # a path below a located value falls back to the nearest ancestor
    assert doc.mark(("b", "c", 7)).line == 3


def test_duplicate_keys_are_errors_never_last_wins():
    doc, findings = load("a: 1\nb: 2\na: 3\n")
    (f,) = findings
    assert (f.code, f.line, f.column) == ("yaml-duplicate-key", 3, 1)
    assert "first at line 1" in f.message
    assert doc.data["a"] == 1  # the first value is kept, and the error makes the file fail


def test_nested_duplicate_keys():
    _, findings = load("a:\n  x: 1\n  y: 2\n  x: 3\n")
    assert [(f.line, f.column) for f in findings] == [(4, 3)]


def test_aliases_are_reported_where_used_and_not_expanded():
    text = "a: &x [1, 2]\nb: *x\nc: *x\n"
    doc, findings = load(text)
    assert [(f.code, f.line, f.column) for f in findings] == [
        ("yaml-alias", 2, 4),
        ("yaml-alias", 3, 4),
    ]
    assert doc.data["b"] is None


def test_billion_laughs_is_cheap():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    _, findings = load("\n".join(lines))
    assert findings and all(f.code == "yaml-alias" for f in findings)


def test_merge_keys_and_tags_are_refused():
    _, findings = load("base: {a: 1}\nother:\n  <<: {a: 2}\n")
    assert [f.code for f in findings] == ["yaml-alias"]
    _, findings = load("x: !!python/object/apply:os.system ['echo hi']\n")
    assert [f.code for f in findings] == ["yaml-tag"]
    _, findings = load("x: !custom 3\n")
    assert [f.code for f in findings] == ["yaml-tag"]


def test_explicit_str_tag_is_fine():
    doc, findings = load("x: !!str 010\n")
    assert findings == [] and doc.data["x"] == "010"


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n", "\ufeff"])
def test_empty_files(text):
    doc, findings = load(text)
    assert doc is None
    assert [f.code for f in findings] == ["file-empty"]


def test_tab_indentation():
    _, findings = load("a:\n\tb: 1\n")
    (f,) = findings
    assert (f.code, f.line, f.column) == ("yaml-tab", 2, 1)


def test_syntax_error_location():
    _, findings = load("a: [1, 2\nb: 3\n")
    (f,) = findings
    assert f.code == "yaml-syntax" and f.line == 2


def test_several_documents():
    _, findings = load("a: 1\n---\nb: 2\n")
    assert [f.code for f in findings] == ["yaml-multi-document"]


def test_non_mapping_keys():
    _, findings = load("? [a, b]\n: 1\n")
    assert [f.code for f in findings] == ["yaml-key-type"]


def test_files_missing_binary_and_not_utf8(tmp_path):
    _, findings = load_file(tmp_path / "nope.yaml")
    assert findings[0].code == "file-missing"
    p = tmp_path / "latin.yaml"
    p.write_bytes(b"a: 1\nb: caf\xe9\n")
    _, findings = load_file(p)
    assert (findings[0].code, findings[0].line) == ("file-unreadable", 2)
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"\x00\x01\x02garbage\xff")
    _, findings = load_file(p)
    assert findings and findings[0].code in ("file-unreadable", "yaml-syntax")


def test_utf8_bom_is_accepted(tmp_path):
    p = tmp_path / "bom.yaml"
    p.write_bytes("\ufeffname: Victimes identifiées\n".encode())
    doc, findings = load_file(p)
    assert findings == [] and doc.data == {"name": "Victimes identifiées"}


def test_string_offsets_map_into_the_file():
    doc, _ = load("where: age > 1\nq: \"age > 'x'\"\n")
    m = doc.string_offset_mark(("where",), 6)
    assert (m.line, m.column) == (1, 14)
    m = doc.string_offset_mark(("q",), 6)
    assert (m.line, m.column) == (2, 11)  # one more for the opening quote


def _tree(text: str, loader) -> object:
    import yaml

    from mel.definitions import yamlio

    node = yaml.compose(text, Loader=loader)
    if node is None:
        return None
    builder = yamlio._Builder("f")
    data = builder.build(node, (), None)
    return data, builder.info, [(f.code, f.line, f.column, f.message) for f in builder.findings]


def test_libyaml_and_pyyaml_give_the_same_values_and_places_for_every_yaml_file_here():
    """mel parses with libyaml where it can: on every YAML file of the repository (catalog,
    templates, code lists, examples, the broken definitions of the tests) the values, the
    place and style of every value and the findings are those of PyYAML's own parser."""
    import yaml

    if getattr(yaml, "CSafeLoader", None) is None:  # pragma: no cover - PyYAML without libyaml
        pytest.fail("PyYAML was built without libyaml: mel's YAML loading is slow here")
    root = Path(__file__).resolve().parents[1]
    compared = 0
    places = ("indicators", "templates", "examples", "tests")
    for path in sorted(p for place in places for p in (root / place).rglob("*.yaml")):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        try:
            slow = _tree(text, yaml.SafeLoader)
        except yaml.YAMLError:
            continue  # an invalid file is reported by PyYAML's parser (yamlio._compose)
        assert _tree(text, yaml.CSafeLoader) == slow, path
        compared += 1
    assert compared > 100


@pytest.mark.parametrize("depth", [99, 101, 400])
def test_deep_nesting_is_reported_as_before(depth):
    """libyaml composes what PyYAML's recursion cannot: a file nesting deeper than mel accepts
    is still reported by the same finding, at the same place."""
    text = "a: " + "[" * depth + "1" + "]" * depth + "\n"
    doc, findings = load_text(text, "deep.yaml")
    nested = [f for f in findings if "nesting is too deep" in f.message]
    if depth <= 100:
        assert doc is not None and not nested
    else:
        assert nested and nested[0].line == 1

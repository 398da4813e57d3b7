"""The JSON contract: xlreport/format/report.schema.json, model.to_json and model.from_dict agree."""

from __future__ import annotations

import copy
import importlib.metadata
import json
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from xlreport import model

from xlreport.format import spec
from xlreport.errors import DataError
from xlreport.format.schema import SCHEMA_FILE, build_schema, load_schema, schema_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "shangyou-commerce-2024.json"
SOURCE = "报告.json"

VALIDATOR = Draft202012Validator(build_schema())


def schema_errors(doc) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(doc)]


def load_strict(text: str):
    """As model.from_json parses: decimals stay exact."""
    return json.loads(text, parse_float=Decimal)


# --- the committed file -----------------------------------------------------------------------


def test_committed_schema_equals_the_generated_one():
    committed = (files("xlreport.format") / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == schema_text(), "run: python -m xlreport.format.schema"
    assert schema_text() == json.dumps(build_schema(), ensure_ascii=False, indent=2) + "\n"
    assert load_schema() == build_schema()


def test_schema_is_a_valid_draft_2020_12_schema():
    schema = build_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_schema_ships_in_the_installed_distribution():
    """A wheel install (as .ci/run does) carries the schema; from the repo root the source
    tree is imported first, so look for the installed copy through its RECORD."""
    installed = [
        d for d in importlib.metadata.distributions(name="xlreport")
        if "xlreport/__init__.py" in (d.read_text("RECORD") or "")
    ]
    if not installed:
        pytest.skip("not installed from a wheel (editable install or source tree)")
    for dist in installed:
        names = {p.as_posix() for p in dist.files or ()}
        assert f"xlreport/format/{SCHEMA_FILE}" in names
        shipped = Path(dist.locate_file(f"xlreport/format/{SCHEMA_FILE}"))
        assert shipped.read_text(encoding="utf-8") == schema_text()


def test_every_object_is_closed():
    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node.get("additionalProperties") is False, where
            for key, sub in node.items():
                walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}/{i}")

    walk(build_schema(), "#")


def test_every_field_is_in_the_schema_with_its_unit_and_labels():
    schema = build_schema()
    for f in spec.FIELDS:
        node = schema
        for key in f.path:
            node = node["properties"][key]
        expected = "integer" if f.unit is spec.Unit.COUNT else "number"
        assert node["type"] == [expected, "null"], f.key
        assert node["minimum"] == 0, f.key
        assert f.row_label in node["description"] and f.col_label in node["description"], f.key
        assert f.cell in node["description"], f.key
    assert "总计" in schema["properties"]["requests"]["properties"]["withheld_security_stability"]["properties"]["total"]["description"]
    assert "3.危及“三安全一稳定”" in schema["properties"]["requests"]["properties"]["withheld_security_stability"]["description"]
    assert set(schema["properties"]["meta"]["properties"]) == set(spec.META_BY_KEY)


def test_schema_matches_the_shape_to_dict_produces():
    """Same keys at every level: nothing in to_dict that the schema lacks, and the reverse."""
    doc = json.loads(model.to_json(model.Report()))
    schema = build_schema()

    def walk(value, node, where):
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
        if isinstance(value, dict):
            assert set(value) == set(node["properties"]) - {"$schema"}, where
            for key, sub in value.items():
                walk(sub, node["properties"][key], f"{where}.{key}")

    walk(doc, schema, "")


# --- documents that must be accepted ---------------------------------------------------------


def test_example_validates_and_loads():
    text = EXAMPLE.read_text(encoding="utf-8")
    assert schema_errors(json.loads(text)) == []
    report = model.from_json(text, str(EXAMPLE))
    assert report.meta["agency"] == "上犹县商务局"
    # what xlreport writes back out is valid too
    assert schema_errors(json.loads(model.to_json(report))) == []


def test_minimal_document_validates_and_loads():
    assert schema_errors({"format": "2021"}) == []
    report = model.from_dict({"format": "2021"}, SOURCE)
    assert all(v is None for v in report.values.values())


def test_blank_report_validates():
    doc = json.loads(model.to_json(model.Report()))
    assert schema_errors(doc) == []
    assert doc["meta"]["year"] is None


def test_schema_key_is_allowed():
    doc = {"$schema": "../xlreport/format/report.schema.json", "format": "2021"}
    assert schema_errors(doc) == []
    model.from_dict(doc, SOURCE)


_count = st.one_of(st.none(), st.integers(min_value=0, max_value=10**9))
_amount = st.one_of(
    st.none(),
    st.decimals(min_value=0, max_value=10**8, places=6, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=10**8).map(Decimal),
)
_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
    max_size=30,
)
_paragraphs = st.lists(_text, max_size=3)
_item = st.builds(model.Item, heading=_text, paragraphs=_paragraphs)


def _section(n):
    return st.builds(model.Section, intro=_paragraphs, items=st.lists(_item, max_size=n))


def _items(section):
    return sum(1 for t in spec.TEXT_SLOTS if t.section == section and t.kind == "item")


@st.composite
def reports(draw):
    r = model.Report()
    for f in spec.FIELDS:
        r.values[f.path] = draw(_count if f.unit is spec.Unit.COUNT else _amount)
    for m in spec.META_FIELDS:
        if m.kind == "year":
            r.meta[m.key] = draw(st.one_of(st.none(), st.integers(spec.YEAR_MIN, spec.YEAR_MAX)))
        else:
            r.meta[m.key] = draw(st.one_of(st.none(), _text))
    r.text = model.Text(
        preamble=draw(_paragraphs),
        overview=draw(_section(_items("overview"))),
        problems=draw(_section(_items("problems"))),
        other=draw(_section(_items("other"))),
        fee_note=draw(_item),
        closing=draw(_paragraphs),
    )
    return r


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_to_json_of_any_report_validates_and_loads_back(report):
    text = model.to_json(report)
    doc = json.loads(text)
    assert schema_errors(doc) == []
    back = model.from_json(text, SOURCE)
    for f in spec.FIELDS:
        assert back.values[f.path] == report.values[f.path], f.key


def test_to_json_writes_an_amount_with_exactly_its_digits():
    r = model.Report()
    r.values[("active", "fees")] = Decimal("190.457379")
    r.text.closing = ["\x00190.457379"]  # text shaped like the mark to_json uses stays text
    text = model.to_json(r)
    assert '"fees": 190.457379\n' in text
    doc = json.loads(text)
    assert doc["text"]["closing"] == ["\x00190.457379"]
    assert schema_errors(doc) == []


# --- documents that must be refused by both ------------------------------------------------

EXAMPLE_DOC = json.loads(EXAMPLE.read_text(encoding="utf-8"))

INVALID = [
    (
        "unknown-top-level-key",
        lambda d: d.update(remarks="x"),
        "报告.json：remarks：未知的键；可用的键：$schema、format、meta、active、requests、appeals、fees、text",
    ),
    (
        "unknown-nested-key",
        lambda d: d["active"]["rules"].update(abolished=0),
        "报告.json：active.rules.abolished：未知的键；可用的键：issued、repealed、in_force",
    ),
    (
        "unknown-meta-key",
        lambda d: d["meta"].update(fax="0797-1"),
        "报告.json：meta.fax：未知的键；可用的键：agency、year、office、address、postcode、phone、email、website",
    ),
    (
        "string-in-a-count",
        lambda d: d["requests"]["new"].update(natural_person="3"),
        "报告.json：requests.new.natural_person：应为数字，实际是字符串（'3'）",
    ),
    (
        "negative-count",
        lambda d: d["active"].update(licensing=-1),
        "报告.json：active.licensing：不能为负数（-1）",
    ),
    (
        "negative-amount",
        lambda d: d["fees"].update(collected=-0.5),
        "报告.json：fees.collected：不能为负数（-0.5）",
    ),
    (
        "fraction-in-a-count",
        lambda d: d["appeals"]["review"].update(upheld=2.5),
        "报告.json：appeals.review.upheld：件数应为整数，实际是2.5",
    ),
    (
        "boolean-in-a-count",
        lambda d: d["fees"].update(notices=True),
        "报告.json：fees.notices：应为数字，实际是布尔值（True）",
    ),
    (
        "year-1999",
        lambda d: d["meta"].update(year=1999),
        "报告.json：meta.year：年份1999超出范围：国办公开办函〔2021〕30号格式适用于2021—2099年度的报告",
    ),
    (
        "year-2100",
        lambda d: d["meta"].update(year=2100),
        "报告.json：meta.year：年份2100超出范围：国办公开办函〔2021〕30号格式适用于2021—2099年度的报告",
    ),
    (
        "wrong-format",
        lambda d: d.update(format="2019"),
        "报告.json：format：只支持 2021 年版格式，实际是 '2019'",
    ),
    (
        "table-not-an-object",
        lambda d: d.update(appeals=[0] * 15),
        "报告.json：appeals：应为对象（{…}），实际是列表",
    ),
    (
        "paragraphs-not-strings",
        lambda d: d["text"].update(closing=[1]),
        "报告.json：text.closing：应为字符串列表（每段一个字符串）",
    ),
    (
        "unknown-item-key",
        lambda d: d["text"]["problems"]["items"][0].update(body="x"),
        "报告.json：text.problems.items[0].body：未知的键；可用的键：heading、paragraphs",
    ),
    (
        "too-many-items",
        lambda d: d["text"]["problems"]["items"].extend(
            [{"heading": f"第{i}节", "paragraphs": ["内容"]} for i in range(3)]
        ),
        "报告.json：text.problems.items：最多4个小节，实际有5个；请合并部分小节",
    ),
]


@pytest.mark.parametrize("name,change,message", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_document_is_refused_by_schema_and_by_from_dict(name, change, message):
    doc = copy.deepcopy(EXAMPLE_DOC)
    change(doc)
    text = json.dumps(doc, ensure_ascii=False)
    assert schema_errors(json.loads(text)), f"schema accepted {name}"
    with pytest.raises(DataError) as caught:
        model.from_dict(load_strict(text), SOURCE)
    assert caught.value.message == message
    assert str(caught.value) == message
    with pytest.raises(DataError) as caught_json:
        model.from_json(text, SOURCE)
    assert caught_json.value.message == message


def test_every_number_refuses_what_the_schema_refuses():
    """Per field: a negative or a string is refused by both; a fraction only where counts are."""
    for f in spec.FIELDS:
        for bad in (-1, "1", "一"):
            doc = {"format": "2021"}
            node = doc
            for key in f.path[:-1]:
                node = node.setdefault(key, {})
            node[f.path[-1]] = bad
            assert schema_errors(doc), (f.key, bad)
            with pytest.raises(DataError):
                model.from_dict(load_strict(json.dumps(doc)), SOURCE)
        doc = {"format": "2021"}
        node = doc
        for key in f.path[:-1]:
            node = node.setdefault(key, {})
        node[f.path[-1]] = 2.5
        text = json.dumps(doc)
        if f.unit is spec.Unit.COUNT:
            assert schema_errors(json.loads(text)), f.key
            with pytest.raises(DataError, match="件数应为整数"):
                model.from_dict(load_strict(text), SOURCE)
        else:
            assert schema_errors(json.loads(text)) == [], f.key
            assert model.from_dict(load_strict(text), SOURCE).values[f.path] == Decimal("2.5")


def test_whole_number_written_as_decimal_is_a_count_for_both():
    doc = {"format": "2021", "active": {"licensing": 3.0}}
    assert schema_errors(doc) == []
    assert model.from_dict(load_strict(json.dumps(doc)), SOURCE).values[("active", "licensing")] == 3

"""Output capture modes, json_field formatting and `{{ outputs.job.var }}` rendering."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pytest

from husky.executor.outputs import OutputCapture, format_json_value, references, render


def capture(
    specs: Mapping[str, str], lines: Sequence[str], exit_code: int = 0, chunk: int = 0
) -> dict[str, str]:
    cap = OutputCapture(specs)
    if chunk:
        for start in range(0, len(lines), chunk):
            cap.feed(lines[start : start + chunk])
    else:
        cap.feed(lines)
    return cap.values(exit_code)


# -- wanted / construction -------------------------------------------------------------


def test_wanted() -> None:
    assert OutputCapture({}).wanted is False
    assert OutputCapture({"v": "exit_code"}).wanted is True
    assert OutputCapture({"v": "last_line"}).wanted is True


def test_empty_specs_give_no_values() -> None:
    cap = OutputCapture({})
    cap.feed(["a", "b"])
    assert cap.values(0) == {}


def test_unknown_mode_rejected() -> None:
    with pytest.raises(ValueError, match="unrecognised"):
        OutputCapture({"v": "middle_line"})


def test_bad_regex_rejected() -> None:
    with pytest.raises(ValueError, match="does not compile"):
        OutputCapture({"v": "regex:("})


# -- first_line / last_line ------------------------------------------------------------


def test_no_lines() -> None:
    cap = OutputCapture(
        {"f": "first_line", "l": "last_line", "j": "json_field:k", "r": "regex:x", "e": "exit_code"}
    )
    cap.feed([])
    assert cap.values(3) == {"f": "", "l": "", "e": "3"}


def test_never_fed() -> None:
    assert OutputCapture({"f": "first_line", "l": "last_line"}).values(0) == {"f": "", "l": ""}


def test_first_and_last_line() -> None:
    assert capture({"f": "first_line", "l": "last_line"}, ["one", "two", "three"]) == {
        "f": "one",
        "l": "three",
    }


def test_only_empty_lines() -> None:
    assert capture({"f": "first_line", "l": "last_line"}, ["", "", ""]) == {"f": "", "l": ""}


def test_last_line_skips_trailing_empty_lines() -> None:
    assert capture({"l": "last_line"}, ["a", "result", "", ""]) == {"l": "result"}


def test_last_line_skips_whitespace_only_lines_but_keeps_value_verbatim() -> None:
    assert capture({"l": "last_line"}, ["  result  ", "   ", "\t"]) == {"l": "  result  "}


def test_last_line_trailing_empty_chunks() -> None:
    cap = OutputCapture({"l": "last_line"})
    cap.feed(["x", "final"])
    cap.feed(["", ""])
    cap.feed([""])
    assert cap.values(0) == {"l": "final"}


def test_first_line_is_literal_even_when_empty() -> None:
    assert capture({"f": "first_line"}, ["", "second"]) == {"f": ""}


def test_first_line_from_first_nonempty_chunk() -> None:
    cap = OutputCapture({"f": "first_line"})
    cap.feed([])
    cap.feed(["first", "x"])
    cap.feed(["later"])
    assert cap.values(0) == {"f": "first"}


# -- exit_code -------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "text"), [(0, "0"), (7, "7"), (-1, "-1")])
def test_exit_code(code: int, text: str) -> None:
    assert capture({"e": "exit_code"}, ["anything"], exit_code=code) == {"e": text}


def test_values_can_be_asked_twice() -> None:
    cap = OutputCapture({"e": "exit_code", "l": "last_line"})
    cap.feed(["a"])
    assert cap.values(1) == {"e": "1", "l": "a"}
    assert cap.values(2) == {"e": "2", "l": "a"}


# -- json_field ------------------------------------------------------------------------


def test_json_field_basic() -> None:
    assert capture({"v": "json_field:id"}, ['{"id": "abc", "n": 1}']) == {"v": "abc"}


def test_json_field_later_line_wins() -> None:
    lines = ['{"id": "first"}', "noise", '{"id": "second"}', '{"other": 1}']
    assert capture({"v": "json_field:id"}, lines) == {"v": "second"}


def test_json_field_later_chunk_wins_and_earlier_survives_nonmatching_chunk() -> None:
    cap = OutputCapture({"v": "json_field:id"})
    cap.feed(['{"id": 1}'])
    cap.feed(['{"id": 2}'])
    cap.feed(["nothing here", '{"x": 3}'])
    assert cap.values(0) == {"v": "2"}


@pytest.mark.parametrize(
    "line",
    [
        '["id", 1]',  # array, not an object
        '"id"',  # string
        "42",
        "null",
        '{"id": 1',  # invalid JSON
        '{"id": NaN}',  # not JSON
        '{"id": Infinity}',
        '{"other": "id"}',  # key missing (quoted key text present as a value)
        '{"nested": {"id": 1}}',  # only top-level keys count
        'prefix {"id": 1}',  # does not start with "{"
        '{"id": 1} trailing',  # extra data
        "",
    ],
)
def test_json_field_ignored_lines(line: str) -> None:
    assert capture({"v": "json_field:id"}, ['{"id": "kept"}', line]) == {"v": "kept"}


def test_json_field_no_match_produces_nothing() -> None:
    assert capture({"v": "json_field:id", "e": "exit_code"}, ["a", "[1]", "{bad"]) == {"e": "0"}


def test_json_field_leading_whitespace_and_escaped_key() -> None:
    assert capture({"v": "json_field:id"}, ['   {"id": 5}  ']) == {"v": "5"}
    assert capture({"v": "json_field:id"}, ['{"\\u0069d": 6}']) == {"v": "6"}


def test_json_field_key_with_special_characters() -> None:
    assert capture({"v": 'json_field:a"b'}, ['{"a\\"b": "q"}']) == {"v": "q"}
    assert capture({"v": "json_field:clé"}, ['{"clé": "ü"}']) == {"v": "ü"}
    assert capture({"v": "json_field:a b"}, ['{"a b": 1}']) == {"v": "1"}


@pytest.mark.parametrize(
    ("raw", "rendered"),
    [
        ('"hello world"', "hello world"),
        ('""', ""),
        ('"with \\"quotes\\" and \\n newline"', 'with "quotes" and \n newline'),
        ("1000000", "1000000"),
        ("123456789012345678901234567890", "123456789012345678901234567890"),
        ("-3", "-3"),
        ("2.5", "2.5"),
        ("0.00001", "1e-05"),
        ("true", "true"),
        ("false", "false"),
        ("null", "null"),
        ("[1, 2]", "[1, 2]"),
        ("[]", "[]"),
        ('{"a": 1}', '{"a": 1}'),
        ("{}", "{}"),
        ('{"b":2,"a":[1,{"c":null}]}', '{"b": 2, "a": [1, {"c": null}]}'),
        ('["x", true, 1.5]', '["x", true, 1.5]'),
        ('{"k": "é"}', '{"k": "é"}'),
    ],
)
def test_json_field_values(raw: str, rendered: str) -> None:
    assert capture({"v": "json_field:k"}, [f'{{"k": {raw}}}']) == {"v": rendered}


def test_format_json_value() -> None:
    assert format_json_value("s") == "s"
    assert format_json_value(1000000) == "1000000"
    assert format_json_value(2.5) == "2.5"
    assert format_json_value(True) == "true"
    assert format_json_value(False) == "false"
    assert format_json_value(None) == "null"
    assert format_json_value([1, 2]) == "[1, 2]"
    assert format_json_value({"a": 1}) == '{"a": 1}'
    assert format_json_value({"a": {"b": [1, "x"]}}) == '{"a": {"b": [1, "x"]}}'


# -- regex -----------------------------------------------------------------------------


def test_regex_without_group_is_whole_match() -> None:
    assert capture({"v": r"regex:id=\d+"}, ["x id=12 y"]) == {"v": "id=12"}


def test_regex_with_group() -> None:
    assert capture({"v": r"regex:id=(\d+)"}, ["x id=12 y"]) == {"v": "12"}


def test_regex_group_one_of_several() -> None:
    assert capture({"v": r"regex:(\w+)=(\d+)"}, ["key=9"]) == {"v": "key"}


def test_regex_named_group_counts() -> None:
    assert capture({"v": r"regex:n=(?P<num>\d+)"}, ["n=4"]) == {"v": "4"}


def test_regex_unmatched_optional_group_is_empty() -> None:
    assert capture({"v": r"regex:done(:(\d+))?"}, ["done"]) == {"v": ""}
    assert capture({"v": r"regex:done(?::(\d+))?"}, ["done"]) == {"v": ""}


def test_regex_latest_match_wins() -> None:
    lines = ["v=1", "v=2", "nothing", "v=3", "tail"]
    assert capture({"v": r"regex:v=(\d)"}, lines) == {"v": "3"}


def test_regex_is_a_search_not_a_full_match() -> None:
    assert capture({"v": "regex:b"}, ["abc"]) == {"v": "b"}
    assert capture({"v": "regex:^b"}, ["abc"]) == {}


def test_regex_line_by_line() -> None:
    # Anchors apply to each line; a pattern cannot span lines.
    assert capture({"v": "regex:^x$"}, ["ax", "x", "xb"]) == {"v": "x"}
    assert capture({"v": "regex:a.b"}, ["a", "b"]) == {}


def test_regex_no_match_produces_nothing() -> None:
    assert capture({"v": r"regex:\d+"}, ["abc"]) == {}


def test_regex_match_survives_later_nonmatching_chunks() -> None:
    cap = OutputCapture({"v": r"regex:(\d+)"})
    cap.feed(["a 1"])
    cap.feed(["a 22", "b"])
    cap.feed(["c", "d"])
    assert cap.values(0) == {"v": "22"}


# -- combinations and chunking ---------------------------------------------------------


SPECS = {
    "first": "first_line",
    "last": "last_line",
    "code": "exit_code",
    "id": "json_field:id",
    "id_again": "json_field:id",
    "num": r"regex:num=(\d+)",
    "word": r"regex:w[a-z]+",
    "missing": "regex:never-printed",
}

LINES = [
    "",
    "start",
    '{"id": "a1"}',
    "num=1 wow",
    '{"id": {"deep": [1, 2]}}',
    "noise",
    "num=22",
    '{"id": "not json"',
    "   ",
    "end",
    "",
]


@pytest.mark.parametrize("chunk", [0, 1, 2, 3, 5, 100])
def test_chunking_does_not_change_results(chunk: int) -> None:
    assert capture(SPECS, LINES, exit_code=4, chunk=chunk) == {
        "first": "",
        "last": "end",
        "code": "4",
        "id": '{"deep": [1, 2]}',
        "id_again": '{"deep": [1, 2]}',
        "num": "22",
        "word": "wow",
    }


def test_many_lines_in_chunks() -> None:
    n = 200_000
    lines = [f"line {i} value={i % 97}" for i in range(n)]
    lines[1234] = json.dumps({"id": 1234, "ok": True})
    lines[150_000] = json.dumps({"id": "late"})
    lines[-1] = ""
    cap = OutputCapture(
        {
            "f": "first_line",
            "l": "last_line",
            "j": "json_field:id",
            "r": r"regex:value=(\d+)",
            "e": "exit_code",
        }
    )
    for start in range(0, n, 1000):
        cap.feed(lines[start : start + 1000])
    assert cap.values(0) == {
        "f": "line 0 value=0",
        "l": f"line {n - 2} value={(n - 2) % 97}",
        "j": "late",
        "r": str((n - 2) % 97),
        "e": "0",
    }


# -- references / render ---------------------------------------------------------------


def test_references_spacing_variants_and_order() -> None:
    text = "run {{outputs.a.b}} then {{  outputs.a-b.c_d  }} and {{ outputs.a.b }} {{ outputs.x.y}}"
    assert references(text) == [("a", "b"), ("a-b", "c_d"), ("x", "y")]


def test_references_none() -> None:
    assert references("echo {{ job.name }} {{ outputs.a }} {{outputs.a.b.c}} plain") == []


def test_render_substitutes_every_occurrence() -> None:
    text = "x={{outputs.a.b}} y={{  outputs.a-b.c_d  }} z={{ outputs.a.b }}"
    values = {("a", "b"): "1", ("a-b", "c_d"): "two"}
    assert render(text, values) == "x=1 y=two z=1"


def test_render_does_not_rescan_substituted_values() -> None:
    values = {("a", "b"): "{{ outputs.c.d }}"}
    assert render("{{ outputs.a.b }}", values) == "{{ outputs.c.d }}"


def test_render_values_with_backslashes_are_literal() -> None:
    assert render("{{ outputs.a.b }}", {("a", "b"): r"\1 \g<0>"}) == r"\1 \g<0>"


def test_render_without_references_is_identity() -> None:
    assert render("echo hi", {}) == "echo hi"


def test_render_missing_value() -> None:
    text = "{{ outputs.a.b }} {{ outputs.c.d }} {{ outputs.e.f }}"
    with pytest.raises(ValueError, match=r"outputs\.c\.d"):
        render(text, {("a", "b"): "1"})

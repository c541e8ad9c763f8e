"""ScriptedModel: every field of the format, every expectation, every schema error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentrun.core.errors import ScriptFormatError, ScriptMismatchError
from agentrun.core.types import ModelRequest, Usage
from agentrun.models.scripted import ScriptedModel


def request(*results: tuple[str, bool]) -> ModelRequest:
    """A request whose last message returns ``results`` for tool calls Read, Bash, ..."""
    names = ["Read", "Bash", "Grep"]
    uses = [
        {"type": "tool_use", "id": f"t{i}", "name": names[i], "input": {}}
        for i in range(len(results))
    ]
    blocks = [
        {"type": "tool_result", "tool_use_id": f"t{i}", "content": text, "is_error": err}
        for i, (text, err) in enumerate(results)
    ]
    messages: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
    if results:
        messages += [{"role": "assistant", "content": uses}, {"role": "user", "content": blocks}]
    return ModelRequest("m", "sys", messages)


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


FULL = """\
model: opus
turns:
  - text: "Looking."
    tool_calls:
      - {name: Glob, input: {pattern: "**/*.py"}}
      - name: Read
        input: {file_path: app.py}
    usage: {input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 5,
            cache_creation_input_tokens: 7}
  - expect:
      - {is_error: false, contains: "def main", not_contains: [Traceback, "Error:"]}
      - {is_error: true, matches: "^exit \\\\d+", equals: "exit 1"}
    stop_reason: max_tokens
    text: Done
"""


def test_every_field(tmp_path: Path) -> None:
    model = ScriptedModel.load(write(tmp_path, FULL))
    assert model.model_id == "claude-opus-5-5"
    deltas: list[str] = []
    first = model.complete(request(), on_text=deltas.append)
    assert deltas == ["Looking."]
    assert first.stop_reason == "tool_use"
    assert first.usage == Usage(100, 20, 7, 5)
    assert first.content == [
        {"type": "text", "text": "Looking."},
        {
            "type": "tool_use",
            "id": "toolu_script_001_01",
            "name": "Glob",
            "input": {"pattern": "**/*.py"},
        },
        {
            "type": "tool_use",
            "id": "toolu_script_001_02",
            "name": "Read",
            "input": {"file_path": "app.py"},
        },
    ]
    second = model.complete(request(("def main(): ...", False), ("exit 1", True)))
    assert (second.stop_reason, second.text(), second.usage) == ("max_tokens", "Done", Usage())
    model.assert_complete()


def test_json_scripts_work_too(tmp_path: Path) -> None:
    path = write(tmp_path, '{"turns": [{"text": "hi"}]}', "s.json")
    response = ScriptedModel.load(path).complete(request())
    assert (response.text(), response.stop_reason) == ("hi", "end_turn")


def test_json_as_json_tools_write_it(tmp_path: Path) -> None:
    """Tab indentation (YAML refuses it) and a character beyond U+FFFF written as two escapes
    (json.dumps does that for every emoji); errors still name the right line."""
    text = '{\n\t"turns": [\n\t\t{"text": "Done \\ud83d\\ude00 \\u00e9\\t."}\n\t]\n}\n'
    response = ScriptedModel.load(write(tmp_path, text, "s.json")).complete(request())
    assert response.text() == "Done \U0001f600 \u00e9\t."
    with pytest.raises(ScriptFormatError) as info:
        ScriptedModel.load(write(tmp_path, text.replace('"text"', '"txt"'), "bad.json"))
    assert (info.value.line, "unknown key 'txt' in turn 1" in str(info.value)) == (3, True)
    with pytest.raises(ScriptFormatError, match="not valid YAML/JSON"):  # tabs, and not JSON
        ScriptedModel.load(write(tmp_path, "turns:\n\t- text: a\n", "tabs.yaml"))


def test_ids_are_deterministic(tmp_path: Path) -> None:
    path = write(tmp_path, "turns:\n  - tool_calls: [{name: Read}]\n")
    a = ScriptedModel.load(path).complete(request())
    b = ScriptedModel.load(path).complete(request())
    assert a == b


@pytest.mark.parametrize(
    ("expect", "results", "message"),
    [
        ("{is_error: false}", [("x", True)], "call 1 (Read): expected is_error false, got true"),
        ("{contains: needle}", [("hay", False)], "expected it to contain 'needle'"),
        ("{not_contains: hay}", [("hay", False)], "expected it not to contain 'hay'"),
        ("{matches: '^\\d+$'}", [("abc", False)], "expected it to match /^\\d+$/"),
        ("{equals: abc}", [("abcd", False)], "expected it to equal 'abc'"),
        (
            "{}, {is_error: true}",
            [("a", False), ("b", False)],
            "call 2 (Bash): expected is_error true",
        ),
        ("{}, {}", [("a", False)], "expected 2 tool result(s), got 1"),
    ],
    ids=["is_error", "contains", "not_contains", "matches", "equals", "second-call", "count"],
)
def test_failed_expectations_name_turn_call_and_difference(
    tmp_path: Path, expect: str, results: list[tuple[str, bool]], message: str
) -> None:
    path = write(tmp_path, f"turns:\n  - text: a\n  - expect: [{expect}]\n    text: b\n")
    model = ScriptedModel.load(path)
    model.complete(request())
    with pytest.raises(ScriptMismatchError) as info:
        model.complete(request(*results))
    assert f"{path}: turn 2 (line 3)" in str(info.value)
    assert message in str(info.value)
    assert info.value.turn == 2


def test_passing_expectations_on_many_calls(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "turns:\n  - text: a\n  - expect: [{is_error: false, contains: [x, y]}, {matches: 'z+'}]\n",
    )
    model = ScriptedModel.load(path)
    model.complete(request())
    assert model.complete(request(("x and y", False), ("zzz", True))).stop_reason == "end_turn"


def test_request_past_last_turn(tmp_path: Path) -> None:
    model = ScriptedModel.load(write(tmp_path, "turns: [{text: only}]\n"))
    model.complete(request())
    with pytest.raises(ScriptMismatchError, match="asked for turn 2 but the script has only 1"):
        model.complete(request())


def test_assert_complete_reports_unused_turns(tmp_path: Path) -> None:
    model = ScriptedModel.load(write(tmp_path, "turns: [{text: a}, {text: b}]\n"))
    model.complete(request())
    with pytest.raises(AssertionError, match="1 of 2 scripted turn"):
        model.assert_complete()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "the script is empty"),
        ("- a\n", 1, "the script must be a mapping"),
        ("model: x\n", 1, "the script has no 'turns' list"),
        ("turns: []\n", 1, "'turns' is empty"),
        ("turns: {a: 1}\n", 1, "'turns' must be a list"),
        ("turns:\n  - txt: hi\n", 2, "unknown key 'txt' in turn 1"),
        ("turns:\n  - text: [1]\n", 2, "turn 1 'text' must be a string"),
        (
            "turns:\n  - text: a\n  - tool_calls: [{input: {}}]\n",
            3,
            "turn 2 tool call 1 has no 'name'",
        ),
        (
            "turns:\n  - tool_calls:\n      - {name: Read, input: x}\n",
            3,
            "turn 1 tool call 1 'input' must be a mapping",
        ),
        (
            "turns:\n  - tool_calls: [{name: R, args: {}}]\n",
            2,
            "unknown key 'args' in turn 1 tool call 1",
        ),
        ("turns:\n  - expect: [{is_err: true}]\n", 2, "unknown key 'is_err' in turn 1 expect 1"),
        ("turns:\n  - expect: [{is_error: 'yes'}]\n", 2, "'is_error' must be true or false"),
        (
            "turns:\n  - expect: [{contains: [1]}]\n",
            2,
            "'contains' must be a string or a list of strings",
        ),
        ("turns:\n  - expect: [{matches: '('}]\n", 2, "'matches' is not a valid regex"),
        (
            "turns:\n  - usage: {input_tokens: many}\n",
            2,
            "usage 'input_tokens' must be a whole number",
        ),
        ("turns:\n  - usage: {tokens: 1}\n", 2, "unknown key 'tokens' in turn 1 'usage'"),
        (
            "turns:\n  - text: a\n    usage:\n      input_tokens: -5\n",
            4,
            "turn 1 usage 'input_tokens' must be >= 0, got -5",
        ),
        ("turns:\n  - stop_reason: 3\n", 2, "'stop_reason' must be a string"),
        (
            "turns:\n  - text: a\n    stop_reason: end_trun\n",
            3,
            "turn 1 'stop_reason' 'end_trun' is not a stop reason",
        ),
        ("turns:\n  - text: a\n    text: b\n", 3, "duplicate key 'text' in turn 1"),
        ("turns: [{text: a}]\nturns: [{text: b}]\n", 2, "duplicate key 'turns' in the script"),
        ("turns:\n  - text: a\nmodel: [x]\n", 3, "'model' must be a string"),
        ("turns:\n  - text: 'a\n", 3, "not valid YAML/JSON"),
        ("turns: [1]\n", 1, "turn 1 must be a mapping"),
    ],
)
def test_schema_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int | None, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScriptFormatError) as info:
        ScriptedModel.load(path)
    assert info.value.path == path
    assert info.value.line == line
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:")


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptFormatError, match="cannot read the script"):
        ScriptedModel.load(tmp_path / "nope.yaml")


def test_from_data() -> None:
    model = ScriptedModel.from_data({"turns": [{"text": "x", "usage": {"output_tokens": 3}}]})
    assert model.complete(request()).usage == Usage(output_tokens=3)


def test_from_data_errors_name_no_line_of_a_file_that_never_was() -> None:
    with pytest.raises(ScriptFormatError) as info:
        ScriptedModel.from_data({"turns": [{"text": "a"}, {"txt": "b"}]}, source="mine")
    assert (info.value.line, str(info.value)) == (
        None,
        "mine: unknown key 'txt' in turn 2 "
        "(expected one of ['expect', 'stop_reason', 'text', 'tool_calls', 'usage'])",
    )
    model = ScriptedModel.from_data({"turns": [{"text": "a"}, {"expect": [{"equals": "x"}]}]})
    model.complete(request())
    with pytest.raises(ScriptMismatchError) as mismatch:
        model.complete(request(("y", False)))
    assert str(mismatch.value).startswith("<script>: turn 2, call 1 (Read): expected it to equal")
    with pytest.raises(ScriptFormatError, match="not plain YAML/JSON data"):
        ScriptedModel.from_data({"turns": [{"text": object()}]})


@pytest.mark.parametrize("reason", ["end_turn", "stop_sequence", "pause_turn", "refusal"])
def test_every_stop_reason_is_accepted(tmp_path: Path, reason: str) -> None:
    model = ScriptedModel.load(write(tmp_path, f"turns: [{{text: a, stop_reason: {reason}}}]\n"))
    assert model.complete(request()).stop_reason == reason

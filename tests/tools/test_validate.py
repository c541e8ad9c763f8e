"""Input validation against a tool's JSON schema: one clear sentence per problem."""

from __future__ import annotations

from typing import Any

import pytest

from agentrun.tools.validate import validate_input

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "file_path": {"type": "string"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 100},
        "ratio": {"type": "number", "exclusiveMinimum": 0},
        "flag": {"type": "boolean"},
        "mode": {"type": "string", "enum": ["a", "b"]},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["file_path"],
    "additionalProperties": False,
}


def test_valid_input_passes_unchanged() -> None:
    data = {"file_path": "/x", "limit": 5, "ratio": 0.5, "flag": True, "mode": "a", "tags": ["t"]}
    checked = validate_input(SCHEMA, data)
    assert checked.ok
    assert checked.input == data


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param({}, 'Missing required parameter "file_path" (a string).', id="missing"),
        pytest.param(
            {"file_path": None}, 'Missing required parameter "file_path" (a string).', id="null"
        ),
        pytest.param(
            {"file_path": "x", "colour": 1},
            'Unexpected parameter "colour". This tool takes only these parameters: '
            "file_path, limit, ratio, flag, mode, tags.",
            id="unexpected",
        ),
        pytest.param(
            {"file_path": 3}, 'Parameter "file_path" must be a string; got integer 3.', id="type"
        ),
        pytest.param(
            {"file_path": "x", "limit": "ten"},
            'Parameter "limit" must be an integer; got string "ten".',
            id="int-text",
        ),
        pytest.param(
            {"file_path": "x", "limit": True},
            'Parameter "limit" must be an integer; got boolean true.',
            id="bool-not-int",
        ),
        pytest.param(
            {"file_path": "x", "limit": 2.5},
            'Parameter "limit" must be an integer; got number 2.5.',
            id="fraction",
        ),
        pytest.param(
            {"file_path": "x", "mode": "c"},
            'Parameter "mode" must be one of "a", "b"; got "c".',
            id="enum",
        ),
        pytest.param(
            {"file_path": "x", "limit": 0},
            'Parameter "limit" must be at least 1; got 0.',
            id="minimum",
        ),
        pytest.param(
            {"file_path": "x", "limit": 101},
            'Parameter "limit" must be at most 100; got 101.',
            id="maximum",
        ),
        pytest.param(
            {"file_path": "x", "ratio": 0},
            'Parameter "ratio" must be greater than 0; got 0.',
            id="exclusive-minimum",
        ),
        pytest.param(
            {"file_path": "x", "tags": ["a", 1]},
            'Parameter "tags[1]" must be a string; got integer 1.',
            id="items",
        ),
        pytest.param(
            {"file_path": "x", "flag": "yes"},
            'Parameter "flag" must be a boolean; got string "yes".',
            id="bool-text",
        ),
    ],
)
def test_each_kind_of_error_names_the_parameter(data: dict[str, Any], error: str) -> None:
    checked = validate_input(SCHEMA, data)
    assert checked.errors == (error,)
    assert not checked.ok


def test_all_problems_reported_together() -> None:
    checked = validate_input(SCHEMA, {"limit": 0, "bogus": 1})
    assert len(checked.errors) == 3
    message = checked.message("Read")
    assert message.startswith("InputValidationError: Read failed due to the following issues:\n- ")
    assert '"bogus"' in message and '"limit"' in message and '"file_path"' in message


def test_type_error_on_required_is_not_also_missing() -> None:
    checked = validate_input(SCHEMA, {"file_path": ["a"]})
    assert checked.errors == ('Parameter "file_path" must be a string; got array ["a"].',)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param({"limit": "12"}, {"limit": 12}, id="int-from-text"),
        pytest.param({"limit": 12.0}, {"limit": 12}, id="int-from-whole-float"),
        pytest.param({"ratio": "0.25"}, {"ratio": 0.25}, id="number-from-text"),
        pytest.param({"ratio": 3}, {"ratio": 3}, id="int-is-a-number"),
        pytest.param({"flag": "false"}, {"flag": False}, id="bool-from-text"),
        pytest.param({"mode": None}, {}, id="null-optional-dropped"),
    ],
)
def test_lenient_conversions(given: dict[str, Any], expected: dict[str, Any]) -> None:
    checked = validate_input(SCHEMA, {"file_path": "x", **given})
    assert checked.ok, checked.errors
    assert checked.input == {"file_path": "x", **expected}


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [("path", "file_path"), ("old_str", "old_string"), ("new_str", "new_string")],
)
def test_near_miss_names_are_refused_with_the_right_name_suggested(
    alias: str, canonical: str
) -> None:
    """As Claude Code does (InputValidationError): a scripted test using ``path`` for Read must
    fail here too, not pass where the real CLI would refuse the call."""
    schema = {
        "type": "object",
        "properties": {canonical: {"type": "string"}},
        "required": [canonical],
        "additionalProperties": False,
    }
    checked = validate_input(schema, {alias: "v"})
    assert checked.errors == (
        f'Unexpected parameter "{alias}". Did you mean "{canonical}"? This tool takes only '
        f"these parameters: {canonical}.",
        f'Missing required parameter "{canonical}" (a string).',
    )
    assert checked.message("Read").startswith(
        "InputValidationError: Read failed due to the following issues:\n- "
    )


def test_near_miss_not_applied_when_schema_has_the_name() -> None:
    schema = {
        "type": "object",
        "properties": {"path": {"type": "string"}, "file_path": {"type": "string"}},
        "additionalProperties": False,
    }
    assert validate_input(schema, {"path": "p"}).input == {"path": "p"}


def test_near_miss_does_not_override_the_real_name() -> None:
    checked = validate_input(SCHEMA, {"file_path": "real", "path": "alias"})
    assert checked.input == {"file_path": "real"}
    assert checked.errors[0].startswith('Unexpected parameter "path"')


def test_additional_properties_allowed_when_schema_says_so() -> None:
    schema = {"type": "object", "properties": {}, "additionalProperties": True}
    assert validate_input(schema, {"x": 1}).input == {"x": 1}


@pytest.mark.parametrize(
    ("data", "shown"),
    [("a.py", 'string "a.py"'), (["a.py"], 'array ["a.py"]'), (None, "null")],
    ids=["string", "array", "null"],
)
def test_input_that_is_not_an_object_is_an_error_not_a_crash(data: Any, shown: str) -> None:
    result = validate_input(SCHEMA, data)
    assert result.errors == (f"The input must be a JSON object of named parameters; got {shown}.",)

"""``output_format={"type": "json_schema", "schema": ...}``: structured output, the way Claude
Code does it: the model is given a ``StructuredOutput`` tool whose input schema is the schema,
and is told to call it with its final answer. Its input is validated against the whole schema
(``jsonschema``); an invalid one is an error result naming the problem, so the model corrects
it in its next turn. The last valid input is ``ResultMessage.structured_output``; a run that
ends without one is ``error_max_structured_output_retries``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrun.core.types import ToolResult
from agentrun.sdk.errors import UnsupportedOptionError

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentrun.core.types import JSON

__all__ = ["INSTRUCTION", "NAME", "StructuredOutputTool", "schema_of"]

NAME = "StructuredOutput"
INSTRUCTION = (
    f"When you have the final answer, call the {NAME} tool with it, exactly once, as its "
    "input; its schema is the format the answer must have."
)
NOT_GIVEN = f"The run ended without a valid {NAME} call: no structured output was produced."


def schema_of(output_format: dict[str, Any]) -> JSON:
    if output_format.get("type") != "json_schema" or not isinstance(
        output_format.get("schema"), dict
    ):
        raise UnsupportedOptionError(
            "output_format", "expected {'type': 'json_schema', 'schema': {...}}"
        )
    schema: JSON = output_format["schema"]
    if schema.get("type") != "object":
        raise UnsupportedOptionError(
            "output_format", "the schema's top level must be an object ('type': 'object')"
        )
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as e:
        why = f"not a valid JSON Schema: {e.message}"
        raise UnsupportedOptionError("output_format", why) from e
    return schema


class StructuredOutputTool:
    read_only = True
    name = NAME
    description = (
        "Give your final answer as structured data. Its input must match the schema exactly; "
        "call it once, when you are done."
    )

    def __init__(self, schema: JSON, on_value: Callable[[Any], None]) -> None:
        # The model sees the schema; extra keys it does not list are the registry's to refuse.
        self.input_schema = schema
        self._on_value = on_value

    def run(self, input: JSON, ctx: Any) -> ToolResult:
        import jsonschema

        validator = jsonschema.validators.validator_for(self.input_schema)(self.input_schema)
        problems = sorted(validator.iter_errors(input), key=lambda e: list(e.absolute_path))
        if problems:
            lines = [
                f"- {'/'.join(map(str, p.absolute_path)) or '(top level)'}: {p.message}"
                for p in problems[:10]
            ]
            return ToolResult(
                "The output does not match the schema:\n" + "\n".join(lines) + "\nCall "
                f"{NAME} again with corrected input.",
                is_error=True,
            )
        self._on_value(input)
        return ToolResult("Structured output provided successfully.")

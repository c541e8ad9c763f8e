"""Input validation: request bodies in, clean values or a ValidationError (HTTP 400) out."""

from __future__ import annotations

from typing import Any

MAX_NAME_LENGTH = 200


class ValidationError(Exception):
    """Invalid input; ``field`` names the offending field (None for the body as a whole)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError("the request body must be a JSON object")
    return body


def _name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} must be a non-empty string", field=field)
    value = value.strip()
    if len(value) > MAX_NAME_LENGTH:
        raise ValidationError(f"{field} must be at most {MAX_NAME_LENGTH} characters", field=field)
    return value


def _int(value: Any, field: str, *, minimum: int) -> int:
    # bool is a subclass of int, but `true` is never a valid price or quantity.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be an integer", field=field)
    if value < minimum:
        raise ValidationError(f"{field} must be at least {minimum}", field=field)
    return value


def _reject_unknown(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationError(f"unknown field: {unknown[0]}", field=unknown[0])


def category_in(body: Any) -> dict[str, Any]:
    """A new category: ``{"name"}``."""
    body = require_object(body)
    _reject_unknown(body, {"name"})
    if "name" not in body:
        raise ValidationError("name is required", field="name")
    return {"name": _name(body["name"], "name")}


ITEM_FIELDS = {"name", "category_id", "price_cents", "quantity"}


def item_in(body: Any, *, partial: bool = False) -> dict[str, Any]:
    """A new item (every field but ``quantity`` required) or, with ``partial``, an update."""
    body = require_object(body)
    _reject_unknown(body, ITEM_FIELDS)
    if not partial:
        for field in ("name", "category_id", "price_cents"):
            if field not in body:
                raise ValidationError(f"{field} is required", field=field)
    elif not body:
        raise ValidationError("nothing to update: send at least one field")
    clean: dict[str, Any] = {}
    if "name" in body:
        clean["name"] = _name(body["name"], "name")
    if "category_id" in body:
        clean["category_id"] = _int(body["category_id"], "category_id", minimum=1)
    if "price_cents" in body:
        clean["price_cents"] = _int(body["price_cents"], "price_cents", minimum=0)
    if "quantity" in body:
        clean["quantity"] = _int(body["quantity"], "quantity", minimum=0)
    elif not partial:
        clean["quantity"] = 0
    return clean

from __future__ import annotations

import pytest


def make_item(client, category, **overrides):
    body = {"name": "hammer", "category_id": category["id"], "price_cents": 1299, **overrides}
    status, item = client.post("/items", body)
    assert status == 201, item
    return item


def test_create_get_update_delete(client, tools_category):
    item = make_item(client, tools_category, quantity=3)
    assert item["quantity"] == 3
    assert client.get(f"/items/{item['id']}") == (200, item)

    status, updated = client.request("PATCH", f"/items/{item['id']}", {"quantity": 10})
    assert status == 200
    assert updated == {**item, "quantity": 10}

    assert client.request("DELETE", f"/items/{item['id']}") == (204, None)
    assert client.get(f"/items/{item['id']}")[0] == 404


def test_list_items_in_id_order(client, tools_category):
    first = make_item(client, tools_category, name="saw")
    second = make_item(client, tools_category, name="drill")
    assert client.get("/items") == (200, {"items": [first, second]})


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"category_id": 1, "price_cents": 5}, "name", "name is required"),
        (
            {"name": "", "category_id": 1, "price_cents": 5},
            "name",
            "name must be a non-empty string",
        ),
        (
            {"name": "x", "category_id": 1, "price_cents": -1},
            "price_cents",
            "price_cents must be at least 0",
        ),
        (
            {"name": "x", "category_id": 1, "price_cents": True},
            "price_cents",
            "price_cents must be an integer",
        ),
        (
            {"name": "x", "category_id": 1, "price_cents": 5, "colour": "red"},
            "colour",
            "unknown field: colour",
        ),
        (
            {"name": "x", "category_id": 42, "price_cents": 5},
            "category_id",
            "category_id 42 does not exist",
        ),
    ],
    ids=[
        "missing-name",
        "empty-name",
        "negative-price",
        "bool-price",
        "unknown-field",
        "no-such-category",
    ],
)
def test_invalid_item_is_a_400_naming_the_field(client, tools_category, body, field, message):
    status, answer = client.post("/items", body)
    assert status == 400
    assert answer == {"error": {"code": "invalid", "message": message, "field": field}}


def test_body_must_be_a_json_object(shop):
    assert shop.handle("POST", "/items", b"[1, 2]").status == 400
    response = shop.handle("POST", "/items", b"{not json")
    assert response.status == 400
    assert response.body["error"]["code"] == "invalid_json"


def test_empty_patch_is_rejected(client, tools_category):
    item = make_item(client, tools_category)
    status, body = client.request("PATCH", f"/items/{item['id']}", {})
    assert status == 400
    assert body["error"]["message"] == "nothing to update: send at least one field"

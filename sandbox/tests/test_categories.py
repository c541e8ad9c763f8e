from __future__ import annotations


def test_health(client):
    assert client.get("/health") == (200, {"status": "ok"})


def test_create_then_get(client):
    status, created = client.post("/categories", {"name": "  garden  "})
    assert status == 201
    assert created["name"] == "garden"
    assert client.get(f"/categories/{created['id']}") == (200, created)
    assert client.get("/categories") == (200, {"categories": [created]})


def test_duplicate_name_is_a_conflict(client, tools_category):
    status, body = client.post("/categories", {"name": "tools"})
    assert status == 409
    assert body["error"]["code"] == "conflict"


def test_missing_category_is_404(client):
    status, body = client.get("/categories/99")
    assert status == 404
    assert body == {"error": {"code": "not_found", "message": "no category with id 99"}}


def test_unknown_route_and_method(client):
    assert client.get("/nope")[0] == 404
    assert client.request("DELETE", "/categories")[0] == 405

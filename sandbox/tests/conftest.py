"""Fixtures: the service over an in-memory database, called directly or through a real socket."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from shop import db
from shop.app import Shop, ShopServer


@pytest.fixture
def shop() -> Shop:
    return Shop(db.connect(":memory:"))


class Client:
    """A tiny JSON client for the running server: ``(status, body)`` for every call."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                raw, status = resp.read(), resp.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        return status, json.loads(raw) if raw else None

    def get(self, path: str) -> tuple[int, Any]:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        return self.request("POST", path, body)


@pytest.fixture
def client(shop: Shop) -> Iterator[Client]:
    server = ShopServer(("127.0.0.1", 0), shop)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield Client(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tools_category(client: Client) -> dict[str, Any]:
    status, category = client.post("/categories", {"name": "tools"})
    assert status == 201
    return category

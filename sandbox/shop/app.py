"""The HTTP layer: routes, JSON in and out, errors as status codes.

``Shop.handle(method, target, body)`` is the whole API as one function of its inputs, so the
tests can drive it with or without a socket; ``ShopHandler`` only adapts it to ``http.server``.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shop import db, store, validation
from shop.validation import ValidationError

MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    params: dict[str, int]

    def json(self) -> Any:
        if not self.body:
            raise ApiError(400, "invalid_json", "the request body is empty")
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise ApiError(400, "invalid_json", f"the request body is not JSON: {e}") from e


Handler = Callable[["Shop", Request], Response]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        ROUTES.append((method, re.compile(f"^{pattern}$"), fn))
        return fn

    return register


class Shop:
    """The service: a database connection and the routes over it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._lock = threading.Lock()

    def handle(self, method: str, target: str, body: bytes = b"") -> Response:
        url = urlsplit(target)
        try:
            fn, params = self._match(method, url.path)
            request = Request(method, url.path, parse_qs(url.query), body, params)
            with self._lock:
                return fn(self, request)
        except ApiError as e:
            return _error(e.status, e.code, e.message, e.field)
        except ValidationError as e:
            return _error(400, "invalid", e.message, e.field)
        except store.NotFound as e:
            return _error(404, "not_found", str(e))
        except store.Conflict as e:
            return _error(409, "conflict", str(e))

    def _match(self, method: str, path: str) -> tuple[Handler, dict[str, int]]:
        allowed = []
        for route_method, pattern, fn in ROUTES:
            match = pattern.match(path)
            if match is None:
                continue
            if route_method == method:
                return fn, {k: int(v) for k, v in match.groupdict().items()}
            allowed.append(route_method)
        if allowed:
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed on {path}")
        raise ApiError(404, "not_found", f"no route for {path}")


def _error(status: int, code: str, message: str, field: str | None = None) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return Response(status, {"error": error})


@route("GET", "/health")
def health(shop: Shop, request: Request) -> Response:
    return Response(200, {"status": "ok"})


@route("GET", "/categories")
def list_categories(shop: Shop, request: Request) -> Response:
    return Response(200, {"categories": store.list_categories(shop.conn)})


@route("POST", "/categories")
def create_category(shop: Shop, request: Request) -> Response:
    fields = validation.category_in(request.json())
    category = store.create_category(shop.conn, fields["name"])
    return Response(201, category, {"Location": f"/categories/{category['id']}"})


@route("GET", r"/categories/(?P<id>[0-9]+)")
def get_category(shop: Shop, request: Request) -> Response:
    return Response(200, store.get_category(shop.conn, request.params["id"]))


@route("GET", "/items")
def list_items(shop: Shop, request: Request) -> Response:
    return Response(200, {"items": store.list_items(shop.conn)})


@route("POST", "/items")
def create_item(shop: Shop, request: Request) -> Response:
    fields = validation.item_in(request.json())
    try:
        item = store.create_item(shop.conn, fields)
    except store.Conflict as e:
        raise ValidationError(str(e), field="category_id") from e
    return Response(201, item, {"Location": f"/items/{item['id']}"})


@route("GET", r"/items/(?P<id>[0-9]+)")
def get_item(shop: Shop, request: Request) -> Response:
    return Response(200, store.get_item(shop.conn, request.params["id"]))


@route("PATCH", r"/items/(?P<id>[0-9]+)")
def update_item(shop: Shop, request: Request) -> Response:
    fields = validation.item_in(request.json(), partial=True)
    try:
        item = store.update_item(shop.conn, request.params["id"], fields)
    except store.Conflict as e:
        raise ValidationError(str(e), field="category_id") from e
    return Response(200, item)


@route("DELETE", r"/items/(?P<id>[0-9]+)")
def delete_item(shop: Shop, request: Request) -> Response:
    store.delete_item(shop.conn, request.params["id"])
    return Response(204)


class ShopHandler(BaseHTTPRequestHandler):
    server: ShopServer

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            response = _error(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
        else:
            body = self.rfile.read(length) if length else b""
            response = self.server.shop.handle(self.command, self.path, body)
        payload = b"" if response.body is None else json.dumps(response.body).encode()
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class ShopServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], shop: Shop, *, verbose: bool = False) -> None:
        super().__init__(address, ShopHandler)
        self.shop = shop
        self.verbose = verbose


def make_server(host: str = "127.0.0.1", port: int = 0, *, db_path: str = ":memory:") -> ShopServer:
    """A server on ``host:port`` (port 0: any free port); call ``serve_forever()`` to run it."""
    return ShopServer((host, port), Shop(db.connect(db_path)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shop", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--db", default="shop.db", help="SQLite file (':memory:' for none)")
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, db_path=args.db)
    server.verbose = True
    print(f"shop listening on http://{args.host}:{server.server_address[1]}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0

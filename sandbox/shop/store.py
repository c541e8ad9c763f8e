"""The SQL: one function per query. Rows come back as plain dicts ready for JSON."""

from __future__ import annotations

import sqlite3
from typing import Any

Row = dict[str, Any]

ITEM_COLUMNS = "id, name, category_id, price_cents, quantity, created_at"


class NotFound(Exception):
    """No row with that id."""


class Conflict(Exception):
    """The change would break a constraint (e.g. a duplicate name)."""


def create_category(conn: sqlite3.Connection, name: str) -> Row:
    try:
        cur = conn.execute("INSERT INTO categories (name) VALUES (?)", (name,))
    except sqlite3.IntegrityError as e:
        raise Conflict(f"a category named {name!r} already exists") from e
    return get_category(conn, cur.lastrowid or 0)


def get_category(conn: sqlite3.Connection, category_id: int) -> Row:
    row = conn.execute(
        "SELECT id, name, created_at FROM categories WHERE id = ?", (category_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no category with id {category_id}")
    return dict(row)


def list_categories(conn: sqlite3.Connection) -> list[Row]:
    rows = conn.execute("SELECT id, name, created_at FROM categories ORDER BY id")
    return [dict(row) for row in rows]


def _check_category(conn: sqlite3.Connection, category_id: int) -> None:
    # Checked up front so the client gets a 400 naming the field, not an opaque FK failure.
    if conn.execute("SELECT 1 FROM categories WHERE id = ?", (category_id,)).fetchone() is None:
        raise Conflict(f"category_id {category_id} does not exist")


def create_item(conn: sqlite3.Connection, fields: Row) -> Row:
    _check_category(conn, fields["category_id"])
    cur = conn.execute(
        "INSERT INTO items (name, category_id, price_cents, quantity) VALUES (?, ?, ?, ?)",
        (fields["name"], fields["category_id"], fields["price_cents"], fields["quantity"]),
    )
    return get_item(conn, cur.lastrowid or 0)


def get_item(conn: sqlite3.Connection, item_id: int) -> Row:
    row = conn.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise NotFound(f"no item with id {item_id}")
    return dict(row)


def list_items(conn: sqlite3.Connection) -> list[Row]:
    rows = conn.execute(f"SELECT {ITEM_COLUMNS} FROM items ORDER BY id")
    return [dict(row) for row in rows]


def update_item(conn: sqlite3.Connection, item_id: int, fields: Row) -> Row:
    get_item(conn, item_id)
    if "category_id" in fields:
        _check_category(conn, fields["category_id"])
    # Column names come from validation.ITEM_FIELDS, never from the request.
    assignments = ", ".join(f"{column} = ?" for column in fields)
    conn.execute(f"UPDATE items SET {assignments} WHERE id = ?", (*fields.values(), item_id))
    return get_item(conn, item_id)


def delete_item(conn: sqlite3.Connection, item_id: int) -> None:
    if conn.execute("DELETE FROM items WHERE id = ?", (item_id,)).rowcount == 0:
        raise NotFound(f"no item with id {item_id}")

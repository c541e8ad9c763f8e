from __future__ import annotations

import sqlite3

from shop import db


def test_every_migration_applies_once_in_order(tmp_path):
    path = tmp_path / "shop.db"
    conn = db.connect(path)
    names = [row[0] for row in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert names == sorted(p.name for p in db.MIGRATIONS_DIR.glob("*.sql"))
    conn.close()

    # Reopening applies nothing new.
    assert db.migrate(sqlite3.connect(path)) == []


def test_foreign_keys_are_enforced(shop):
    try:
        shop.conn.execute("INSERT INTO items (name, category_id, price_cents) VALUES ('x', 999, 1)")
    except sqlite3.IntegrityError:
        return
    raise AssertionError("an item with no category was accepted")

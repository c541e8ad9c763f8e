"""shop: a small inventory service (JSON REST API on http.server + sqlite3)."""

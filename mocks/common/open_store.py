"""Which store a service gets: the ``store_url`` setting chooses the backend."""

from __future__ import annotations

from .store import Store


def open_store(
    settings, name: str, schema: str = "", runtime_tables: tuple[str, ...] = (), registration_tables=()
) -> Store:
    """Service ``name``'s store: ``<state_dir>/<name>.sqlite3``, or schema ``name`` in the PostgreSQL
    database of ``settings.store_url`` (the driver is imported only then)."""
    if settings.store_url:
        from .postgres_store import PostgresStore

        return PostgresStore(settings.store_url, name, schema, runtime_tables, registration_tables)
    return Store(settings.state_dir / f"{name}.sqlite3", schema, runtime_tables, registration_tables)

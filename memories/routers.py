"""MemoryRouter: memory tables on their configured aliases, everything else on default."""

from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model

from memories.models import AbstractMemory


def _memory_aliases() -> set[str]:
    from memories.targets import configured_db_ids

    return set(configured_db_ids().values())


def _default_memory_alias() -> str:
    from memories.targets import resolve_target

    return resolve_target().alias


class MemoryRouter:
    """Add to DATABASE_ROUTERS; every memory query also names its alias explicitly."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if issubclass(model, AbstractMemory):
            return _default_memory_alias()
        return None

    db_for_write = db_for_read

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        if app_label == "memories" and model_name == "memory":
            return db in _memory_aliases()
        if db != DEFAULT_DB_ALIAS and db in _memory_aliases():
            # A memory database holds memory tables only: no auth, admin or audit tables.
            return False
        if app_label == "memories":
            return db == DEFAULT_DB_ALIAS
        return None

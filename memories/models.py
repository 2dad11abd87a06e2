"""The Agno-compatible memory record, how its text reads, and the audit record of deletions."""

import json
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AbstractMemory(models.Model):
    """The columns of Agno's `agno_memories` table; concrete per table (see targets.py)."""

    memory_id = models.CharField(max_length=255, primary_key=True)
    # Usually a JSON string; legacy rows hold an object with a "memory" key.
    memory = models.JSONField()
    input = models.TextField(null=True, blank=True)
    agent_id = models.CharField(max_length=255, null=True, blank=True)
    team_id = models.CharField(max_length=255, null=True, blank=True)
    user_id = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    topics = models.JSONField(null=True, blank=True)
    feedback = models.TextField(null=True, blank=True)
    # Epoch seconds, as Agno stores them.
    created_at = models.BigIntegerField(db_index=True)
    updated_at = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.memory_id


class Memory(AbstractMemory):
    """A memory in the default table, `agno_memories`."""

    class Meta:
        db_table = "agno_memories"
        verbose_name = _("memory")
        verbose_name_plural = _("memories")


class Channel(models.TextChoices):
    API = "api", _("API")
    ADMIN = "admin", _("Django admin")
    COMMAND = "command", _("Management command")
    RETENTION = "retention", _("Retention rule")


def audit_indexes(prefix: str, fields: list[str]) -> list[models.Index]:
    """One plain index per field an audit record is looked up or filtered by (equality, the
    admin's filters). Not `db_index=True`: on PostgreSQL that adds a second index per text
    field (`varchar_pattern_ops`, for `LIKE 'prefix%'`), which nothing here asks for, and
    every deletion writes a record, each of its indexes with it (BENCHMARKS.md)."""
    return [models.Index(fields=[name], name=f"memories_{prefix}_{name}") for name in fields]


class MemoryDeletion(models.Model):
    """Who deleted which memories, where and when; never their content."""

    deleted_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=255)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    db_id = models.CharField(max_length=255)
    table_name = models.CharField(max_length=255)
    # One id for a single deletion; a batch's ids for bulk deletes and erasures.
    memory_ids = models.JSONField(default=list)
    # The distinct owners of the deleted memories.
    user_ids = models.JSONField(default=list)
    count = models.PositiveIntegerField()
    # The X-Request-ID of the request that deleted (also in its log lines); empty outside one.
    request_id = models.CharField(max_length=128, null=True, blank=True)

    class Meta:
        ordering = ["-deleted_at", "-id"]
        verbose_name = _("memory deletion")
        verbose_name_plural = _("memory deletions")
        indexes = audit_indexes("del", ["actor", "channel", "db_id", "request_id"])

    def __str__(self) -> str:
        return gettext("%(count)d deleted from %(where)s by %(actor)s") % {
            "count": self.count,
            "where": f"{self.db_id}/{self.table_name}",
            "actor": self.actor,
        }


class MemoryExport(models.Model):
    """Who exported whose memories, from where, how many and when; never their content."""

    exported_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=255)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    db_id = models.CharField(max_length=255)
    table_name = models.CharField(max_length=255)
    # The owner whose memories were exported; empty when an administrator exported everyone's.
    user_id = models.CharField(max_length=255, null=True, blank=True)
    count = models.PositiveIntegerField()
    # False when the export stopped early (the client went away, the database failed).
    finished = models.BooleanField(default=True)
    # The X-Request-ID of the request that exported (also in its log lines); empty outside one.
    request_id = models.CharField(max_length=128, null=True, blank=True)

    class Meta:
        ordering = ["-exported_at", "-id"]
        verbose_name = _("memory export")
        verbose_name_plural = _("memory exports")
        indexes = audit_indexes("exp", ["actor", "channel", "db_id", "user_id", "request_id"])

    def __str__(self) -> str:
        return gettext("%(count)d exported from %(where)s by %(actor)s") % {
            "count": self.count,
            "where": f"{self.db_id}/{self.table_name}",
            "actor": self.actor,
        }


def memory_text(memory: Any) -> str:
    """The text of Agno's `memory` column: a JSON string, or a legacy object's `memory`."""
    if isinstance(memory, str):
        return memory
    if isinstance(memory, dict) and memory.get("memory") is not None:
        return str(memory["memory"])
    return json.dumps(memory)

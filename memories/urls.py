"""The memory API's routes; each works with and without a trailing slash, no redirect."""

from typing import Any

from django.urls import URLPattern, path, re_path

from memories.bulk_views import MemoryDeletionView, MemoryExportView, OptimizeMemoriesView
from memories.health import HealthView, ReadinessView
from memories.views import MemorySlashViewSet, MemoryViewSet, UnknownRouteView

app_name = "memories"

# route -> (the view's name, HTTP method -> viewset action)
ROUTES: dict[str, tuple[str, dict[str, Any]]] = {
    "memories": (
        "memory-list",
        {"get": "list_memories", "post": "create", "delete": "bulk_destroy"},
    ),
    "memories/<str:memory_id>": (
        "memory-detail",
        {"get": "retrieve", "patch": "partial_update", "delete": "destroy"},
    ),
    "memory_topics": ("memory-topics", {"get": "topics"}),
    "user_memory_stats": ("user-memory-stats", {"get": "stats"}),
}


# Operations over many memories at once: route -> (name, view).
OPERATIONS = {
    "memory_export": ("memory-export", MemoryExportView),
    "memory_deletions": ("memory-deletions", MemoryDeletionView),
    # Agno's client calls it; it needs a model, so it answers 501.
    "optimize-memories": ("optimize-memories", OptimizeMemoriesView),
    # Probes, as Agno's AgentOS serves them: liveness and readiness.
    "health": ("health", HealthView),
    "readyz": ("readiness", ReadinessView),
}


def _with_and_without_slash() -> list[URLPattern]:
    patterns = []
    for route, (name, actions) in ROUTES.items():
        patterns.append(path(route, MemoryViewSet.as_view(actions), name=name))
        patterns.append(path(f"{route}/", MemorySlashViewSet.as_view(actions)))
    for route, (name, view) in OPERATIONS.items():
        patterns.append(path(route, view.as_view(), name=name))
        patterns.append(path(f"{route}/", view.as_view(schema=None)))
    return patterns


# The first segment of every path the API answers.
API_ROOTS = tuple(dict.fromkeys(route.split("/")[0] for route in [*ROUTES, *OPERATIONS]))

urlpatterns = [
    *_with_and_without_slash(),
    # Any path below them, control characters and newlines included.
    re_path(rf"^(?:{'|'.join(API_ROOTS)})(?:/[\s\S]*)?\Z", UnknownRouteView.as_view()),
]

"""The memory API's routes; each works with and without a trailing slash, no redirect."""

from typing import Any

from django.urls import path, re_path

from memories.views import MemorySlashViewSet, MemoryViewSet, UnknownRouteView

app_name = "memories"

DETAIL_ACTIONS: dict[str, Any] = {"delete": "destroy"}

urlpatterns = [
    path("memories/<str:memory_id>", MemoryViewSet.as_view(DETAIL_ACTIONS), name="memory-detail"),
    path("memories/<str:memory_id>/", MemorySlashViewSet.as_view(DETAIL_ACTIONS)),
    re_path(r"^(?:memories|memory_topics|user_memory_stats)(?:/.*)?$", UnknownRouteView.as_view()),
]

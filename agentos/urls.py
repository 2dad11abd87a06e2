"""URLs of the agentos host project: the memory API, its documentation and the admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

# API routes answer a disallowed Host in the API's error shape, not Django's HTML page.
handler400 = "memories.exception_handlers.bad_request"

urlpatterns = [
    # The API first: its requests, nearly all of them, match on the first patterns tried.
    path("", include("memories.urls")),
    path("", TemplateView.as_view(template_name="index.html"), name="index"),
    path("admin/", admin.site.urls),
    # openapi.json, openapi.yaml, docs (Swagger UI) and redoc, served offline.
    path("", include("memories.docs_urls")),
    # Agno's client also calls AgentOS routes for agents, teams, sessions...: 501 in JSON.
    path("", include("memories.agentos_urls")),
]

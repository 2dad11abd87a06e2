"""URLs of the agentos host project: the memory API, its documentation and the admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

# API routes answer a disallowed Host in the API's error shape, not Django's HTML page.
handler400 = "memories.exception_handlers.bad_request"

urlpatterns = [
    # The API first: its requests, nearly all of them, match on the first patterns tried.
    path("", include("memories.urls")),
    path("", TemplateView.as_view(template_name="index.html"), name="index"),
    path("admin/", admin.site.urls),
    path("openapi.json", SpectacularAPIView.as_view(), {"format": "json"}, name="openapi-json"),
    path("openapi.yaml", SpectacularAPIView.as_view(), {"format": "yaml"}, name="openapi-yaml"),
    path("docs", SpectacularSwaggerView.as_view(url_name="openapi-json"), name="docs"),
    path("redoc", SpectacularRedocView.as_view(url_name="openapi-json"), name="redoc"),
    # Agno's client also calls AgentOS routes for agents, teams, sessions...: 501 in JSON.
    path("", include("memories.agentos_urls")),
]

"""URLs for the test suite: the app as a host project mounts it, plus its OpenAPI document."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

handler400 = "memories.exception_handlers.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("openapi.json", SpectacularAPIView.as_view(), {"format": "json"}, name="openapi-json"),
    path("", include("memories.urls")),
    path("", include("memories.agentos_urls")),
]

"""URLs for the test suite: the app as a host project mounts it, with its OpenAPI document."""

from django.contrib import admin
from django.urls import include, path

handler400 = "memories.exception_handlers.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("memories.docs_urls")),
    path("", include("memories.urls")),
    path("", include("memories.agentos_urls")),
]

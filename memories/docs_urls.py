"""The memory API's OpenAPI document (openapi.json, openapi.yaml) and its viewers (docs: Swagger
UI, redoc: Redoc), served offline. A host includes it where it wants them:
`path("", include("memories.docs_urls"))`, with "drf_spectacular_sidecar" in INSTALLED_APPS."""

from django.urls import path

from memories.docs import MemoryAPIRedocView, MemoryAPISchemaView, MemoryAPISwaggerView

app_name = "memories_docs"

urlpatterns = [
    path("openapi.json", MemoryAPISchemaView.as_view(), {"format": "json"}, name="openapi-json"),
    path("openapi.yaml", MemoryAPISchemaView.as_view(), {"format": "yaml"}, name="openapi-yaml"),
    path("docs", MemoryAPISwaggerView.as_view(), name="docs"),
    path("redoc", MemoryAPIRedocView.as_view(), name="redoc"),
]

"""The memory API's OpenAPI document as `make openapi` generates it (tests/openapi.yaml)."""

from pathlib import Path

from django.core.management import call_command

SNAPSHOT = Path(__file__).with_name("openapi.yaml")
# The options `make openapi` passes: the generator and settings of memories.docs_urls.
OPTIONS = (
    "--generator-class",
    "memories.docs.MemoryAPISchemaGenerator",
    "--custom-settings",
    "memories.docs.DOCUMENT_SETTINGS",
)


def generate_document(path: Path, *extra: str) -> None:
    call_command("spectacular", *OPTIONS, "--file", str(path), *extra)

"""The memory API's OpenAPI document as `make openapi` generates it (tests/openapi.yaml), and
what its viewer pages reference."""

from html.parser import HTMLParser
from pathlib import Path

from django.core.management import call_command

SNAPSHOT = Path(__file__).with_name("openapi.yaml")
# The generator and settings of memories.docs_urls.
OPTIONS = (
    "--generator-class",
    "memories.docs.MemoryAPISchemaGenerator",
    "--custom-settings",
    "memories.docs.DOCUMENT_SETTINGS",
)


def generate_document(path: Path, *extra: str) -> None:
    call_command("spectacular", *OPTIONS, "--file", str(path), *extra)


class References(HTMLParser):
    """Every src and href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    return parser.urls


if __name__ == "__main__":  # make openapi: the snapshot again, validated
    import django

    django.setup()
    generate_document(SNAPSHOT, "--validate", "--fail-on-warn")

"""The memories app's configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MemoriesConfig(AppConfig):
    name = "memories"
    verbose_name = _("Agent memories")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks and drf-spectacular's OpenAPI extensions; the health
        # probe notes when the process started.
        from memories import checks, health, schema  # noqa: F401

"""ASGI entry point of the agentos host project."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentos.settings")

application = get_asgi_application()

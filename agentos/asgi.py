"""ASGI entry point of the agentos host project."""

import os

from agentos.handlers import asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentos.settings")

application = asgi_application()

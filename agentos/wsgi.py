"""WSGI entry point of the agentos host project (gunicorn agentos.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentos.settings")

application = get_wsgi_application()

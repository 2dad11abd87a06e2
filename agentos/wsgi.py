"""WSGI entry point of the agentos host project (gunicorn agentos.wsgi)."""

import os

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentos.settings")

application = get_wsgi_application()

# Refuse to start an API that no token could open (or that would trust a missing key):
# the app's deployment checks say what is wrong.
_problems = [
    message
    for message in checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    if message.is_serious() and (message.id or "").startswith("memories.")
]
if _problems:
    raise ImproperlyConfigured("; ".join(str(message) for message in _problems))

"""ASGI entry point of the agentos host project (bin/serve with AGENTOS_INTERFACE=asgi:
granian agentos.asgi:application --interface asgi)."""

import os

from agentos.handlers import asgi_application
from agentos.startup import refuse_unusable_configuration

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentos.settings")
# Read by the settings: under ASGI a database connection lasts one request.
os.environ["AGENTOS_INTERFACE"] = "asgi"

application = asgi_application()
refuse_unusable_configuration()

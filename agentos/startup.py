"""What both entry points (agentos.wsgi, agentos.asgi) check before they serve."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def refuse_unusable_configuration() -> None:
    """Refuse to start an API that no token could open (or that would trust a missing or
    shared key): the app's deployment checks say what is wrong."""
    problems = [
        message
        for message in checks.run_checks(
            include_deployment_checks=True, tags=[checks.Tags.security]
        )
        if message.is_serious() and (message.id or "").startswith("memories.")
    ]
    if problems:
        raise ImproperlyConfigured("; ".join(str(message) for message in problems))

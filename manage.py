#!/usr/bin/env python
"""Django's command-line utility for the agentos host project."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentos.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - the settings read the environment here
    except ImproperlyConfigured as error:
        # A variable the settings cannot read says its name and what is wrong, in one line;
        # Django would print a traceback through its own code that names neither.
        sys.exit(f"Error: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

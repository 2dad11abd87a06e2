"""issue_token: print a bearer JWT signed with the configured key."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError

from memories.conf import memories_settings
from memories.tokens import token_issue
from memories.validators import is_identifier


class Command(BaseCommand):
    help = "Print a JWT for SUBJECT, signed with MEMORIES['JWT_SIGNING_KEY'], to call the API."

    NO_KEY = _("No JWT signing key is configured (set MEMORIES['JWT_SIGNING_KEY']).")
    BAD_SUBJECT = _(
        "SUBJECT must be 1 to 255 characters without control characters: the API refuses a "
        "token whose subject could own no memory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subject", help="The user id the token speaks for (its subject).")
        parser.add_argument(
            "--admin",
            action="store_true",
            help="Add the admin scope: the token may act on every user's memories.",
        )
        parser.add_argument(
            "--scopes", nargs="*", default=[], metavar="SCOPE", help="Further scopes to grant."
        )
        parser.add_argument(
            "--ttl",
            type=int,
            default=3600,
            metavar="SECONDS",
            help="Lifetime of the token in seconds (default 3600).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["ttl"] <= 0:
            raise CommandError(gettext("--ttl must be a positive number of seconds."))
        if not is_identifier(options["subject"]):
            raise CommandError(str(self.BAD_SUBJECT))
        scopes = list(options["scopes"])
        if options["admin"]:
            scopes.append(str(memories_settings.ADMIN_SCOPE))
        try:
            token = token_issue(
                subject=options["subject"],
                scopes=list(dict.fromkeys(scopes)),
                ttl=timedelta(seconds=options["ttl"]),
            )
        except (TokenError, TokenBackendError, TypeError, ValueError) as error:
            raise CommandError(
                gettext("%(message)s (%(error)s)") % {"message": self.NO_KEY, "error": error}
            ) from error
        self.stdout.write(token)

"""Bearer JWT authentication on simplejwt's stateless authentication: no user row needed."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.exceptions import TokenError

from memories.tokens import BearerToken, TokenPrincipal
from memories.verified_tokens import verified_tokens

# Far above any real JWT; below the 8 KiB header limit of most servers and proxies.
MAX_HEADER_LENGTH = 8000


class BearerTokenAuthentication(JWTStatelessUserAuthentication):
    """Authenticates `Authorization: Bearer <JWT>` as a TokenPrincipal.

    simplejwt's `authenticate` runs as it is; its hooks read the app's own settings
    (memories.tokens), never the host's SIMPLE_JWT, so a host user's token is no agent's.
    """

    def get_header(self, request: Request) -> bytes:
        header = request.META.get("HTTP_AUTHORIZATION")
        if isinstance(header, str) and len(header) > MAX_HEADER_LENGTH:
            # Bounded before any decoding or signature work.
            raise AuthenticationFailed(_("Authorization header too long"))
        if isinstance(header, str):
            try:
                # HTTP header values are ISO-8859-1 (RFC 9110); anything else is no JWT.
                return header.encode("iso-8859-1")
            except UnicodeEncodeError as error:
                raise AuthenticationFailed(_("Authorization header must be ASCII")) from error
        return header  # type: ignore[return-value]

    def get_raw_token(self, header: bytes) -> bytes:
        """The token of `Bearer <token>`, the scheme named in any case (RFC 9110, 11.1).

        Any other header is refused here rather than passed over: the API has no other
        authentication to fall back on.
        """
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            raise AuthenticationFailed(_("Authorization header must be 'Bearer <token>'"))
        return parts[1]

    def get_validated_token(self, raw_token: bytes) -> BearerToken:
        """The verified token, from the cache of verified tokens when it was seen before."""
        verified = verified_tokens.get(raw_token)
        if verified is not None:
            return verified.token
        try:
            token = BearerToken(raw_token)  # type: ignore[arg-type]
            principal = token.principal
        except TokenError as error:
            raise AuthenticationFailed(str(error.args[0])) from error
        verified_tokens.remember(raw_token, token, principal)
        return token

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"

    def get_user(self, validated_token: Any) -> TokenPrincipal:  # type: ignore[override]
        principal: TokenPrincipal = validated_token.principal
        return principal

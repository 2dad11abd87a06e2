"""Bearer JWT authentication on simplejwt's stateless authentication: no user row needed."""

from typing import Any

from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.exceptions import TokenError

from memories.tokens import BearerToken, TokenPrincipal, principal_from
from memories.verified_tokens import verified_tokens

# Far above any real JWT; below the 8 KiB header limit of most servers and proxies.
MAX_HEADER_LENGTH = 8000


class BearerTokenAuthentication(JWTStatelessUserAuthentication):
    """Authenticates `Authorization: Bearer <JWT>` as a TokenPrincipal."""

    def authenticate(  # type: ignore[override]
        self, request: Request
    ) -> tuple[TokenPrincipal, BearerToken] | None:
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            # A header of another scheme, or "Bearer" with no token or too many parts.
            raise AuthenticationFailed("Authorization header must be 'Bearer <token>'")
        verified = verified_tokens.get(raw_token)
        if verified is not None:
            return verified.principal, verified.token
        try:
            token = BearerToken(raw_token)  # type: ignore[arg-type]
            principal = principal_from(token)
        except TokenError as error:
            raise AuthenticationFailed(str(error.args[0])) from error
        verified_tokens.remember(raw_token, token, principal)
        return principal, token

    def get_header(self, request: Request) -> bytes:
        header = request.META.get("HTTP_AUTHORIZATION")
        if isinstance(header, str) and len(header) > MAX_HEADER_LENGTH:
            # Bounded before any decoding or signature work.
            raise AuthenticationFailed("Authorization header too long")
        if isinstance(header, str):
            try:
                # HTTP header values are ISO-8859-1 (RFC 9110); anything else is no JWT.
                return header.encode("iso-8859-1")
            except UnicodeEncodeError as error:
                raise AuthenticationFailed("Authorization header must be ASCII") from error
        return header  # type: ignore[return-value]

    def get_raw_token(self, header: bytes) -> bytes | None:
        """The token of `<scheme> <token>`, the scheme named in any case (RFC 9110, 11.1)."""
        parts = header.split()
        # simplejwt rebinds api_settings when SIMPLE_JWT changes: look it up each time.
        configured = simplejwt_settings.api_settings.AUTH_HEADER_TYPES
        names = (configured,) if isinstance(configured, str) else configured
        schemes = {name.lower().encode() for name in names}
        if len(parts) != 2 or parts[0].lower() not in schemes:
            return None
        return parts[1]

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"

    def get_user(self, validated_token: Any) -> TokenPrincipal:  # type: ignore[override]
        return principal_from(validated_token)

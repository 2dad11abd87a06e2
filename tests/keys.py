"""Real key pairs for signing test tokens, made once per test session."""

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def _pem_pair(private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    private = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@functools.cache
def rsa_pair() -> tuple[str, str]:
    """(private PEM, public PEM) of an RSA key."""
    return _pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@functools.cache
def other_rsa_pair() -> tuple[str, str]:
    """A second RSA key, for tokens signed with the wrong key."""
    return _pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@functools.cache
def ec_pair() -> tuple[str, str]:
    """(private PEM, public PEM) of a P-256 key for ES256."""
    return _pem_pair(ec.generate_private_key(ec.SECP256R1()))

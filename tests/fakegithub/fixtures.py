"""pytest fixtures: an App key pair, a running FakeGitHub and a GitHubGateway pointed at it."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .server import FakeGitHub

APP_ID = 4242


@pytest.fixture(scope="session")
def app_private_key() -> str:
    """An RSA private key (PEM) for the test App, generated once per session."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_key_of(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.fixture
def fake_github(app_private_key):
    fake = FakeGitHub(app_id=APP_ID, public_key_pem=public_key_of(app_private_key))
    fake.app_private_key_pem = app_private_key  # what the manifest conversion hands out
    with fake:
        yield fake
    # A bug inside the fake is answered with 500, which clients retry; make it visible.
    assert not fake.internal_errors, f"the fake GitHub failed internally: {fake.internal_errors!r}"


@pytest.fixture
def github_gateway(fake_github, app_private_key):
    from bot.github.client import GitHubGateway

    gateway = GitHubGateway(APP_ID, app_private_key, fake_github.base_url, test_mode=True)
    yield gateway
    gateway.close()

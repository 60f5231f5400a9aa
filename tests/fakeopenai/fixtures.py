"""pytest fixtures for the OpenAI-compatible fake."""
from __future__ import annotations

import pytest

from .server import FakeOpenAI


@pytest.fixture
def fake_openai():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def openai_client(fake_openai):
    """The real `openai` client pointed at the fake, without its own retries (tests stay fast)."""
    import openai

    client = openai.OpenAI(base_url=fake_openai.base_url, api_key=fake_openai.api_key, max_retries=0, timeout=5)
    yield client
    client.close()

import importlib.util

# Fixtures of the fake GitHub and OpenAI servers, shared by the App tests.
pytest_plugins = [
    name
    for name in ("tests.fakegithub.fixtures", "tests.fakeopenai.fixtures")
    if importlib.util.find_spec(name.rsplit(".", 1)[0]) is not None
]

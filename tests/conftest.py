from pathlib import Path

# Fixtures of the fake GitHub and OpenAI servers, shared by the App tests.
_HERE = Path(__file__).parent
pytest_plugins = [
    f"tests.{package}.fixtures"
    for package in ("fakegithub", "fakeopenai")
    if (_HERE / package / "fixtures.py").is_file()
]

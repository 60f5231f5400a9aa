"""Start-up settings: invalid values stop the process with the variable's name."""
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"


def test_defaults_without_credentials(tmp_path):
    s = load_settings({}, dotenv_path=None)
    assert (s.github_api_url, s.host, s.port, s.backend) == ("https://api.github.com", "0.0.0.0", 3000, "sqlite")
    assert not s.has_app_credentials


def test_webhook_secret_is_mandatory_once_credentials_are_set():
    with pytest.raises(SettingsError) as err:
        load_settings({"APP_ID": "123", "PRIVATE_KEY": PEM}, dotenv_path=None)
    assert err.value.name == "WEBHOOK_SECRET"


def test_private_key_from_path_and_escaped_newlines(tmp_path):
    key = tmp_path / "app.pem"
    key.write_text(PEM)
    s = load_settings({"APP_ID": "123", "PRIVATE_KEY_PATH": str(key), "WEBHOOK_SECRET": "s"}, dotenv_path=None)
    assert s.private_key.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    inline = load_settings({"APP_ID": "1", "PRIVATE_KEY": PEM.replace("\n", "\\n"), "WEBHOOK_SECRET": "s"},
                           dotenv_path=None)
    assert inline.private_key == s.private_key


@pytest.mark.parametrize(
    "env, name",
    [
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"APP_ID": "my-app", "PRIVATE_KEY": PEM, "WEBHOOK_SECRET": "s"}, "APP_ID"),
        ({"APP_ID": "1", "PRIVATE_KEY": "not a key", "WEBHOOK_SECRET": "s"}, "PRIVATE_KEY"),
        ({"APP_ID": "1", "WEBHOOK_SECRET": "s"}, "PRIVATE_KEY"),
        ({"PRIVATE_KEY_PATH": "/nonexistent/key.pem"}, "PRIVATE_KEY_PATH"),
        ({"GITHUB_API_URL": "ghe.example.com/api/v3"}, "GITHUB_API_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"ARMADILHAS_MAX_WAIT": "-1"}, "ARMADILHAS_MAX_WAIT"),
    ],
)
def test_invalid_values_name_the_setting(env, name):
    with pytest.raises(SettingsError) as err:
        load_settings(env, dotenv_path=None)
    assert err.value.name == name
    assert str(err.value).startswith(name)


def test_dotenv_file_is_read_and_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=4000\nGITHUB_API_URL=https://ghe.example.com/api/v3\nREDIS_URL=redis://cache:6379/0\n")
    s = load_settings({"PORT": "5000"}, dotenv_path=dotenv)
    assert s.port == 5000
    assert s.github_api_url == "https://ghe.example.com/api/v3"
    assert s.backend == "redis"


def test_llm_limits_are_settings_the_fixer_reads():
    from bot.llm_fix import LlmLimits

    settings = load_settings({"ARMADILHAS_LLM_MAX_CALLS_PER_PR": "3", "ARMADILHAS_LLM_TIMEOUT": "5",
                              "ARMADILHAS_LLM_CONCURRENCY": "2", "ARMADILHAS_LLM_MAX_TOKENS_PER_PR": "9000",
                              "ARMADILHAS_LLM_MAX_OUTPUT_TOKENS": "300"}, dotenv_path=None)
    limits = LlmLimits.from_settings(settings)
    assert (limits.max_calls_per_pr, limits.max_tokens_per_pr, limits.max_output_tokens, limits.timeout,
            limits.concurrency) == (3, 9000, 300, 5.0, 2)
    with pytest.raises(SettingsError, match="ARMADILHAS_LLM_CONCURRENCY"):
        load_settings({"ARMADILHAS_LLM_CONCURRENCY": "0"}, dotenv_path=None)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"PORT": "http"}, "PORT: must be a whole number, got 'http'"),
        ({"PORT": "70000"}, "PORT: must be between 1 and 65535, got 70000"),
        ({"ARMADILHAS_LLM_MAX_TOKENS_PER_PR": "-1"}, "ARMADILHAS_LLM_MAX_TOKENS_PER_PR: must be between 0 and 10000000, got -1"),
        ({"ARMADILHAS_MAX_WAIT": "soon"}, "ARMADILHAS_MAX_WAIT: must be a number of seconds, got 'soon'"),
        ({"ARMADILHAS_READY_P99": "0"}, "ARMADILHAS_READY_P99: must be between 0.1 and 86400, got 0"),
        ({"ARMADILHAS_WORKERS": "0"}, "ARMADILHAS_WORKERS: must be between 1 and 64, got 0"),
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, got 'verbose'"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT: must be one of json, text, got 'xml'"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL: must be a URL starting with redis:// or rediss:// or unix://"),
        ({"PUBLIC_URL": "bot.example.com"}, "PUBLIC_URL: must be a URL starting with https:// or http://"),
        ({"APP_ID": "my-app"}, "APP_ID: must be the numeric App ID, got 'my-app'"),
        ({"APP_ID": "1", "WEBHOOK_SECRET": "s"}, "PRIVATE_KEY: APP_ID is set but neither PRIVATE_KEY nor PRIVATE_KEY_PATH is"),
        ({"PRIVATE_KEY": PEM, "WEBHOOK_SECRET": "s"}, "APP_ID: a private key is set but APP_ID is not"),
        ({"APP_ID": "1", "PRIVATE_KEY": PEM}, "WEBHOOK_SECRET: is required once App credentials are set (deliveries must be verified)"),
        ({"PRIVATE_KEY": PEM, "PRIVATE_KEY_PATH": "/k.pem"}, "PRIVATE_KEY: set PRIVATE_KEY or PRIVATE_KEY_PATH, not both"),
        ({"PRIVATE_KEY_PATH": "/nonexistent/key.pem"}, "PRIVATE_KEY_PATH: cannot read /nonexistent/key.pem: No such file or directory"),
    ],
)
def test_messages_are_one_line_and_name_the_variable(env, message):
    with pytest.raises(SettingsError) as err:
        load_settings(env, dotenv_path=None)
    assert str(err.value) == message
    assert err.value.name == message.split(":")[0]


def test_a_file_in_the_data_dir_place_is_named(tmp_path):
    (tmp_path / "data").write_text("")
    with pytest.raises(SettingsError) as err:
        load_settings({"ARMADILHAS_DATA_DIR": str(tmp_path / "data")}, dotenv_path=None)
    assert str(err.value) == f"ARMADILHAS_DATA_DIR: {tmp_path / 'data'} exists and is not a directory"


def test_the_first_bad_variable_is_reported():
    with pytest.raises(SettingsError) as err:
        load_settings({"PORT": "x", "LOG_LEVEL": "loud"}, dotenv_path=None)
    assert err.value.name == "PORT"


def test_blank_values_take_the_default_and_values_are_stripped(tmp_path):
    # A .env copied from .env.example has every variable present and empty.
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    (tmp_path / ".env").write_text(example)
    assert load_settings({}, dotenv_path=tmp_path / ".env") == load_settings({}, dotenv_path=None)
    s = load_settings({"PORT": " 4000 ", "HOST": "  ", "LOG_LEVEL": " debug ", "LOG_FORMAT": "Text",
                       "GITHUB_API_URL": " https://ghe.example.com/api/v3/ ", "ARMADILHAS_METRICS_PORT": "0"},
                      dotenv_path=None)
    assert (s.port, s.host, s.log_level, s.log_format) == (4000, "0.0.0.0", "DEBUG", "text")
    assert s.github_api_url == "https://ghe.example.com/api/v3"
    assert s.metrics_port is None


def test_secrets_are_taken_as_written_and_kept_out_of_repr():
    from bot.settings import AppEnvironment

    s = load_settings({"APP_ID": "1", "PRIVATE_KEY": PEM, "WEBHOOK_SECRET": " s3cret-value ",
                       "OPENAI_API_KEY": "sk-secret-value"}, dotenv_path=None)
    assert s.webhook_secret == " s3cret-value " and s.openai_api_key == "sk-secret-value"
    env = AppEnvironment(APP_ID="1", PRIVATE_KEY=PEM, WEBHOOK_SECRET="s3cret-value", OPENAI_API_KEY="sk-secret-value")
    for text in (repr(s), repr(env), str(env)):
        assert "s3cret-value" not in text and "sk-secret-value" not in text and "MIIB" not in text


def test_settings_are_frozen():
    import dataclasses

    from pydantic import ValidationError

    from bot.settings import AppEnvironment

    with pytest.raises(dataclasses.FrozenInstanceError):
        load_settings({}, dotenv_path=None).port = 1
    with pytest.raises(ValidationError):
        AppEnvironment().port = 1


def test_the_process_environment_is_read_only_when_no_mapping_is_given(monkeypatch):
    monkeypatch.setenv("PORT", "4100")
    monkeypatch.setenv("port", "4200")  # names are case-sensitive, as the environment is
    assert load_settings(dotenv_path=None).port == 4100
    assert load_settings({}, dotenv_path=None).port == 3000


def test_an_empty_variable_in_the_environment_still_wins_over_the_file(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=4000\nport=4001\n")
    assert load_settings({"PORT": ""}, dotenv_path=dotenv).port == 3000
    assert load_settings({}, dotenv_path=dotenv).port == 4000
    assert load_settings({}, dotenv_path=tmp_path / "missing.env").port == 3000


def test_the_cli_prints_one_line_and_exits_2(tmp_path, monkeypatch, capsys):
    from bot.cli import main
    from bot.settings import ENV_NAMES

    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    dotenv = tmp_path / ".env"
    dotenv.write_text("ARMADILHAS_WORKERS=lots\n")
    assert main(["worker", "--env-file", str(dotenv)]) == 2
    assert capsys.readouterr().err == "armadilhas: invalid setting ARMADILHAS_WORKERS: must be a whole number, got 'lots'\n"

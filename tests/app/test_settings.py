"""Start-up settings: invalid values stop the process with the variable's name."""
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

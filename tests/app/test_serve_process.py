"""`armadilhas serve` as a real process (gunicorn + in-process SQLite worker) against the fake
GitHub: a signed pull_request.opened delivery ends as a posted review and a completed Check Run."""
import os
import subprocess
import sys
import urllib.error
import urllib.request

from .conftest import INSTALLATION, REPO, SECRET, free_port, wait_until
from .deliveries import encode, pull_request_event, signed_headers

CHARGE = '''import stripe


def charge(order):
    return stripe.Charge.create(amount=order.total_cents, currency="brl", source=order.token)
'''


def test_serve_receives_a_delivery_and_posts_the_review(fake_github, app_private_key, tmp_path):
    fake_github.add_repo(REPO)
    fake_github.add_installation(INSTALLATION, repos=[REPO])
    pull = fake_github.add_pull(REPO, 1, head_files={"billing.py": CHARGE})
    key = tmp_path / "app.pem"
    key.write_text(app_private_key)
    port = free_port()
    env = dict(os.environ, APP_ID=str(fake_github.app_id), PRIVATE_KEY_PATH=str(key), WEBHOOK_SECRET=SECRET,
               GITHUB_API_URL=fake_github.base_url, HOST="127.0.0.1", PORT=str(port),
               ARMADILHAS_DATA_DIR=str(tmp_path / "data"))
    env.pop("REDIS_URL", None)
    code = "import sys; from bot.cli import main; sys.exit(main(['serve', '--env-file', '/nonexistent']))"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        def healthy():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    return r.status == 200
            except (urllib.error.URLError, OSError):
                return False

        assert wait_until(healthy), "server did not start"
        body = encode(pull_request_event("opened", REPO, 1, pull.head_sha, INSTALLATION))
        req = urllib.request.Request(f"http://127.0.0.1:{port}/webhook", data=body, method="POST",
                                     headers=signed_headers(body, SECRET, "pull_request"))
        with urllib.request.urlopen(req, timeout=5) as response:
            assert response.status == 202
        assert wait_until(lambda: any(r.get("status") == "completed" for r in fake_github.check_runs(REPO)))
        assert [c["line"] for c in fake_github.review_comments(REPO, 1)] == [5]
        assert fake_github.check_runs(REPO)[0]["conclusion"] == "neutral"
    finally:
        proc.terminate()
        try:
            output = proc.communicate(timeout=15)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            proc.kill()
            output = proc.communicate()[0].decode(errors="replace")
    assert "Traceback" not in output, output

"""Long fuzz campaigns over the analyzers and the webhook: the CI tests with many more examples.

    .venv/bin/python bench/fuzz_analyzers.py [EXAMPLES]      # default 2000 per test

CI runs the same tests with ARMADILHAS_FUZZ_EXAMPLES=25 (tests/test_fuzz_analyzers.py,
tests/app/test_webhook_fuzz.py); examples are derandomised, so a run is reproducible.
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    examples = sys.argv[1] if len(sys.argv) > 1 else "2000"
    env = dict(os.environ, ARMADILHAS_FUZZ_EXAMPLES=examples)
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "tests/test_fuzz_analyzers.py", "tests/app/test_webhook_fuzz.py"], cwd=ROOT, env=env))

"""A duration measured only to choose whether and at which level to log is measurement, never a
deadline (RULES.md), whatever the logger is called: a logger handed in as `func_logger` or kept as
`self.task_logger` is as much a logger as `log`. A look-alike whose branch does work stays flagged."""
from __future__ import annotations

from .helpers import CLOCK, flagged

TIMED = """\
import functools
import time


def log_slow_calls(func_logger, cutoff=5.0, debug_cutoff=1.0):
    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            started = time.time()
            result = func(*args, **kwargs)
            data = {"name": func.__name__}
            data["delta"] = time.time() - started
            if data["delta"] > cutoff:
                func_logger.info("{name} took {delta:.2f}s".format(**data))
            elif data["delta"] > debug_cutoff:
                func_logger.debug("{name} took {delta:.2f}s".format(**data))
            return result
        return wrapper
    return decorator
"""


def test_a_duration_that_only_picks_a_log_level_on_a_named_logger_is_not_a_deadline():
    assert flagged(TIMED, CLOCK) == []


def test_an_attribute_logger_is_a_logger_too():
    code = """\
    import time


    class Sync:
        def run(self, batch):
            t0 = time.time()
            self.push(batch)
            if time.time() - t0 > 2:
                self.sync_logger.warning("slow push")
    """
    assert flagged(code, CLOCK) == []


def test_the_same_shape_that_gives_up_on_the_work_is_a_deadline():
    code = TIMED.replace('func_logger.info("{name} took {delta:.2f}s".format(**data))', "raise TimeoutError(func.__name__)")
    assert flagged(code, CLOCK) == [("ARM103", 9)]

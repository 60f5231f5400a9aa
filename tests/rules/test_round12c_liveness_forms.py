"""ARM301, round 12c: dead-member detectors written the oslo/OpenStack way.

- `timeutils.is_older_than(member_stamp, window)`: the call is the silence comparison itself
  (now is read inside), held to the same action/verdict gates as `now - stamp > window`;
- `timeutils.delta_seconds(stamp, now)`: the elapsed time, before and after in that order;
- a stamp aged in two steps (`tdelta = now - service['updated_at']`, then
  `abs(tdelta.total_seconds()) <= window`) and returned as the member's verdict.
Look-alikes: a token's expiry, a process's own loop stamp, a window read from the row, a
display-only status, a cooldown kept in a local."""
from __future__ import annotations

import textwrap

from analyzers import analyze
from tests.rules.helpers import HEARTBEAT


def graded(code: str, path: str = "cluster/agents.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), HEARTBEAT)
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_is_older_than_on_agent_heartbeat_then_delete_is_flagged():
    code = """
    from oslo_utils import timeutils

    DOWN_AFTER = 75


    def sweep_agents(session, agents):
        for agent in agents:
            if timeutils.is_older_than(agent.heartbeat_timestamp, DOWN_AFTER):
                session.delete(agent)
    """
    assert graded(code) == [("ARM301", 9, "high")]


def test_negated_is_older_than_returned_as_alive_verdict_is_medium():
    code = """
    from oslo_config import cfg
    from oslo_utils import timeutils

    CONF = cfg.CONF


    class AgentView:
        def agent_is_alive(self, agent):
            return not timeutils.is_older_than(agent.heartbeat_timestamp, CONF.agent_down_time)
    """
    assert graded(code) == [("ARM301", 10, "medium")]


def test_two_step_updated_at_age_returned_as_service_verdict_is_medium():
    code = """
    from oslo_config import cfg
    from oslo_utils import timeutils

    CONF = cfg.CONF


    def service_is_up(service):
        last_heartbeat = service["updated_at"] or service["created_at"]
        gap = timeutils.utcnow() - last_heartbeat
        secs = gap.total_seconds()
        return abs(secs) <= CONF.service_down_time
    """
    assert graded(code) == [("ARM301", 12, "medium")]


def test_delta_seconds_of_member_stamp_returned_as_verdict_is_medium():
    code = """
    from oslo_config import cfg
    from oslo_utils import timeutils

    CONF = cfg.CONF


    def service_is_up(service):
        gap = timeutils.delta_seconds(service.updated_at, timeutils.utcnow())
        return abs(gap) <= CONF.service_down_time
    """
    assert graded(code) == [("ARM301", 10, "medium")]


def test_token_expiry_by_is_older_than_stays_quiet():
    code = """
    from oslo_utils import timeutils


    def drop_token(store, token):
        if timeutils.is_older_than(token.issued_at, 3600):
            store.delete(token)
    """
    assert graded(code) == []


def test_own_loop_stamp_returned_as_verdict_stays_quiet():
    code = """
    from oslo_utils import timeutils


    class Poller:
        def poller_is_alive(self):
            return not timeutils.is_older_than(self.last_heartbeat, 30)
    """
    assert graded(code) == []


def test_window_read_from_the_row_stays_quiet():
    code = """
    from oslo_utils import timeutils


    def sweep_agents(session, agents):
        for agent in agents:
            if timeutils.is_older_than(agent.heartbeat_timestamp, agent.down_after):
                session.delete(agent)
    """
    assert graded(code) == []


def test_display_only_status_stays_quiet():
    code = """
    from oslo_utils import timeutils


    def describe(agent):
        if timeutils.is_older_than(agent.heartbeat_timestamp, 75):
            label = "xxx"
        else:
            label = ":-)"
        return {"host": agent.host, "alive": label}
    """
    assert graded(code) == []


def test_cooldown_in_a_local_stays_quiet():
    code = """
    from oslo_utils import timeutils


    def maybe_retry(job, session):
        last_try = job.attempted_at
        if timeutils.is_older_than(last_try, 60):
            session.delete(job)
    """
    assert graded(code) == []


def test_bare_parameter_aged_by_a_verdict_function_is_flagged():
    # Round 13 (the general form, rules/_liveness_ages): a stamp handed in as a parameter is
    # still another writer's instant, and a function answering "is it down" from its age
    # against a configured window is the detector; round 12c had kept it quiet.
    code = """
    from oslo_config import cfg
    from oslo_utils import timeutils

    CONF = cfg.CONF


    def is_agent_down(heart_beat_time):
        return timeutils.is_older_than(heart_beat_time, CONF.agent_down_time)
    """
    assert graded(code) == [("ARM301", 9, "high")]

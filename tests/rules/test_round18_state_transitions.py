"""A row selected by a fixed silence cut-off and moved to a dead state through a method named for
the state it leads to (`worker.go_state_offline()`, `host.move_to_failed()`): the same verdict as
`worker.state = OFFLINE`. A transition to a live or neutral state stays quiet."""
from __future__ import annotations

from .helpers import HEARTBEAT, flagged


def test_a_transition_named_for_a_dead_state_declares_the_member_dead():
    code = """\
    import datetime
    from django.utils import timezone

    PING_TIMEOUT = 20


    def check_workers():
        query = Worker.objects.select_for_update().filter(state=Worker.STATE_ONLINE)
        query = query.filter(last_ping__lt=timezone.now() - datetime.timedelta(seconds=PING_TIMEOUT))
        for worker in query:
            fields = worker.go_state_offline()
            worker.save(update_fields=fields)


    def sweep_hosts():
        cutoff = timezone.now() - datetime.timedelta(seconds=PING_TIMEOUT)
        for host in Host.objects.filter(last_seen__lt=cutoff):
            host.move_to_failed()
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 9), ("ARM301", 17)]


def test_a_transition_to_a_live_or_neutral_state_is_not_a_verdict():
    code = """\
    import datetime
    from django.utils import timezone

    PING_TIMEOUT = 20


    def check_workers():
        query = Worker.objects.filter(last_ping__lt=timezone.now() - datetime.timedelta(seconds=PING_TIMEOUT))
        for worker in query:
            worker.go_state_idle()
            worker.move_to_archive_queue()
    """
    assert flagged(code, HEARTBEAT) == []

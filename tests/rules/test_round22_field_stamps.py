"""Round 22, wall clock: a stamp written in one module and aged in another.

Read in the misses of round 21's half (now `test12`): a sweep reads `player.last_recv_time`,
`token.pingTime`, `peer.next_sync_attempt` or a base class's `self.launched_at`, and only another
module of the project writes it, from `time.time()`. The project index learns which attribute
names every write of which reads the wall clock (rules/_clock_field_stamps), and the clock flow
treats such a field as a reading kept from this clock: `now - x.stamp > N` is an elapsed time,
`now > x.deadline` a deadline (ARM103, medium, no fix: the writer is out of view).

Look-alikes stay quiet: a field some module also sets from a message or a parameter, a field
stamped from `time.monotonic()`, a stamp only logged, and the same sweep with no index.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

CLOCK = Settings(select=frozenset({"ARM103", "ARM104"}))


def flagged(code: str, path: str, modules: dict[str, str], index: bool = True) -> list[tuple[str, int, str]]:
    code = textwrap.dedent(code)
    project = build_project_index([*((p, textwrap.dedent(t)) for p, t in modules.items()), (path, code)]) if index else None
    report = analyze(path, code, CLOCK, project=project)
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


HANDLERS = {
    "app/domains/cho.py": """\
        import time


        async def handle(player, data):
            player.last_recv_time = time.time()
            await player.process(data)
    """,
    "app/objects/player.py": """\
        class Player:
            last_recv_time = 0.0

            def __init__(self, name):
                self.name = name
                self.last_recv_time = None
    """,
}

SWEEP = """\
    import asyncio
    import time

    PING_INTERVAL = 300


    async def disconnect_ghosts(players, interval):
        while True:
            await asyncio.sleep(interval)
            current_time = time.time()
            for player in players:
                if current_time - player.last_recv_time > PING_INTERVAL:
                    player.logout()
"""


def test_sweep_of_a_stamp_another_module_writes():
    assert flagged(SWEEP, "app/bg_loops.py", HANDLERS) == [("ARM103", 10, "medium")]


def test_same_sweep_without_the_index_is_silent():
    assert flagged(SWEEP, "app/bg_loops.py", HANDLERS, index=False) == []


def test_stamp_also_set_from_a_message_is_not_ours():
    modules = dict(HANDLERS)
    modules["app/domains/sync.py"] = """\
        def restore(player, payload):
            player.last_recv_time = payload["last_recv_time"]
    """
    assert flagged(SWEEP, "app/bg_loops.py", modules) == []


def test_monotonic_stamp_is_fine():
    modules = {"app/domains/cho.py": HANDLERS["app/domains/cho.py"].replace("time.time()", "time.monotonic()")}
    sweep = SWEEP.replace("current_time = time.time()", "current_time = time.monotonic()")
    assert flagged(sweep, "app/bg_loops.py", modules) == []


def test_stamp_only_logged_is_not_a_deadline():
    code = """\
        import logging
        import time

        log = logging.getLogger(__name__)


        def report(players):
            now = time.time()
            for player in players:
                if now - player.last_recv_time > 60:
                    log.info("%s idle", player)
    """
    assert flagged(code, "app/report.py", HANDLERS) == []


def test_cutoff_against_a_stamp_copied_from_another_stamp():
    modules = {
        "objects/osuToken.py": """\
            import time


            class Token:
                def __init__(self, user):
                    self.loginTime = int(time.time())
                    self.pingTime = self.loginTime

                def updatePingTime(self):
                    self.pingTime = int(time.time())
        """,
    }
    code = """\
        import time


        class TokenList:
            def usersTimeoutCheckLoop(self):
                timedOut = []
                timeoutLimit = int(time.time()) - 100
                for key, value in self.tokens.items():
                    if value.pingTime < timeoutLimit:
                        timedOut.append(key)
                for key in timedOut:
                    self.tokens[key].kick()
    """
    assert flagged(code, "objects/tokenList.py", modules) == [("ARM103", 7, "medium")]


def test_deadline_field_armed_in_another_module():
    modules = {
        "lxmf/peer.py": """\
            import time


            class Peer:
                def __init__(self):
                    self.next_sync_attempt = 0

                def sync_failed(self):
                    self.next_sync_attempt = time.time() + self.sync_backoff
        """,
    }
    code = """\
        import time


        def unresponsive(peers):
            ready = []
            for peer in peers:
                if time.time() > peer.next_sync_attempt:
                    ready.append(peer)
            return ready
    """
    assert flagged(code, "lxmf/router.py", modules) == [("ARM103", 7, "medium")]


def test_subclass_ages_what_its_base_stamps():
    modules = {
        "server/games/game.py": """\
            import time


            class Game:
                def __init__(self):
                    self.launched_at = None

                async def launch(self):
                    self.launched_at = time.time()
        """,
    }
    code = """\
        import time

        from .game import Game


        class CustomGame(Game):
            async def validity_checks(self):
                limit = len(self.players) * 60
                if time.time() - self.launched_at < limit:
                    await self.mark_invalid()
    """
    assert flagged(code, "server/games/custom_game.py", modules) == [("ARM103", 9, "medium")]


def test_subclass_that_stamps_the_field_itself_is_judged_in_file():
    modules = {
        "server/games/game.py": """\
            class Game:
                def __init__(self, launched_at):
                    self.launched_at = launched_at
        """,
    }
    code = """\
        import time

        from .game import Game


        class CustomGame(Game):
            async def validity_checks(self):
                if time.time() - self.launched_at < 60:
                    await self.mark_invalid()
    """
    assert flagged(code, "server/games/custom_game.py", modules) == []


def test_stamp_read_with_a_time_zone_counts():
    modules = {
        "sopel/coretasks.py": """\
            from datetime import datetime, timezone


            def recv_who(bot, trigger):
                bot.channels[trigger.sender].last_who = datetime.now(timezone.utc)
        """,
    }
    code = """\
        from datetime import datetime, timedelta, timezone


        def send_who(bot):
            who_trigger_time = datetime.now(timezone.utc) - timedelta(seconds=120)
            for name, channel in bot.channels.items():
                if channel.last_who < who_trigger_time:
                    bot.write(("WHO", name))
    """
    assert flagged(code, "sopel/tasks.py", modules) == [("ARM103", 5, "medium")]


def test_column_stamped_by_a_model_hook_and_queried_is_persisted():
    modules = {
        "app/models/db.py": """\
            import time


            def update_created_modified(mapper, connection, target):
                target.updated_at_in_seconds = round(time.time())
        """,
        "app/models/queue.py": """\
            from app.models.db import db


            class QueueModel(db.Model):
                updated_at_in_seconds = db.Column(db.Integer)
        """,
    }
    code = """\
        import time

        from app.models.queue import QueueModel


        def entries_to_run(min_age):
            threshold = round(time.time()) - min_age
            return QueueModel.query.filter(QueueModel.updated_at_in_seconds <= threshold).all()
    """
    assert flagged(code, "app/services/queue_service.py", modules) == [("ARM104", 7, "medium")]


def test_stamp_of_last_sync_is_a_cadence():
    modules = {
        "support/utils.py": """\
            from django.utils import timezone


            def sync(ticket):
                ticket.last_synced_at = timezone.now()
                ticket.save()
        """,
    }
    code = """\
        from datetime import timedelta

        from django.utils import timezone


        def needs_sync(ticket):
            return ticket.last_synced_at < timezone.now() - timedelta(seconds=300)
    """
    assert flagged(code, "support/views.py", modules) == []


MODELS = {
    "tokens/models.py": """\
        from django.db import models
        from django.utils import timezone


        class RefreshToken(models.Model):
            revoked = models.DateTimeField(null=True)
            last_seen_at = models.DateTimeField(null=True)

            def revoke(self):
                self.revoked = timezone.now()
                self.save()

            def ping(self):
                self.last_seen_at = timezone.now()
                self.save()
    """,
}


def test_stored_column_stamped_elsewhere_is_a_persisted_age():
    code = """\
        from datetime import timedelta

        from django.utils import timezone

        GRACE = 120


        def validate(rt):
            if rt.revoked is not None and rt.revoked <= timezone.now() - timedelta(seconds=GRACE):
                raise PermissionError("revoked")
            return rt
    """
    assert flagged(code, "tokens/validators.py", MODELS) == [("ARM104", 9, "medium")]


def test_liveness_stamp_is_left_to_the_detector_rules():
    code = """\
        from datetime import timedelta

        from django.utils import timezone


        def is_idle(session):
            return session.last_seen_at < timezone.now() - timedelta(minutes=10)
    """
    assert flagged(code, "tokens/sessions.py", MODELS) == []


OUTBOX = {
    "outbox/publisher.py": """\
        from datetime import timedelta

        from django.utils import timezone


        def publish(message):
            message.expires_at = timezone.now() + timedelta(minutes=5)
    """,
}


def test_deadline_armed_elsewhere_is_checked_here():
    code = """\
        from django.utils import timezone


        def still_valid(message):
            if message.expires_at >= timezone.now():
                return True
            message.discard()
            return False
    """
    assert flagged(code, "outbox/consumer.py", OUTBOX) == [("ARM103", 5, "medium")]


def test_admin_column_only_shows_the_state():
    code = """\
        from django.contrib import admin
        from django.utils import timezone


        class PublishedAdmin(admin.ModelAdmin):
            def expired(self, obj):
                return obj.expires_at >= timezone.now()
    """
    assert flagged(code, "outbox/admin.py", OUTBOX) == []


def test_window_of_days_is_left_alone():
    modules = {"pkg/tracker.py": """\
        from datetime import datetime


        def mark(tracker):
            tracker.last_read_at = datetime.utcnow()
    """}
    code = """\
        from datetime import datetime, timedelta


        def unread(tracker, days):
            read_cutoff = datetime.utcnow() - timedelta(days=days)
            return tracker.last_read_at > read_cutoff
    """
    assert flagged(code, "pkg/unread.py", modules) == []
    hours = code.replace("timedelta(days=days)", "timedelta(hours=days)")
    assert flagged(hours, "pkg/unread.py", modules) == [("ARM103", 5, "medium")]

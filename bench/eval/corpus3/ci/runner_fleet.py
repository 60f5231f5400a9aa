"""CI runner fleet manager.

Runners heartbeat every 10s; the manager claims queued jobs for runners and reaps dead ones.
SQLAlchemy 2.0 style.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Sequence

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from fleet.models import Job, Runner

RUNNER_DEAD_AFTER_S = 60
JOB_LEASE = timedelta(minutes=10)
CLAIM_WAIT_S = 30


def claim_next_job(db: Session, runner_id: str) -> Job | None:
    # ok: SKIP LOCKED claim + assignment in the same transaction
    with db.begin():
        job = db.execute(
            select(Job)
            .where(Job.status == "queued")
            .order_by(Job.priority.desc(), Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if job is None:
            return None
        job.status = "running"
        job.runner_id = runner_id
        job.lease_expires_at = datetime.now(timezone.utc) + JOB_LEASE  # expect: ARM104
    return job


def claim_next_job_server_clock(db: Session, runner_id: str) -> int | None:
    # ok: lease computed with now() in the same statement
    row = db.execute(
        text(
            """
            update jobs set status = 'running', runner_id = :rid,
                   lease_expires_at = now() + interval '10 minutes'
             where id = (select id from jobs where status = 'queued'
                          order by id limit 1 for update skip locked)
            returning id
            """
        ),
        {"rid": runner_id},
    ).first()
    db.commit()
    return row[0] if row else None


def reap_dead_runners(db: Session) -> Sequence[str]:
    now = time.time()
    dead = []
    for r in db.scalars(select(Runner).where(Runner.status == "online")):
        if now - r.last_heartbeat_epoch > RUNNER_DEAD_AFTER_S:  # expect: ARM301
            r.status = "dead"
            dead.append(r.id)
            db.execute(update(Job).where(Job.runner_id == r.id, Job.status == "running").values(status="queued"))
    db.commit()
    return dead


def reap_dead_runners_sql(db: Session) -> int:
    res = db.execute(text(
        "update runners set status = 'dead' where last_heartbeat < now() - interval '90 seconds'"  # expect: ARM302
    ))
    db.commit()
    return res.rowcount


def wait_for_artifact(storage, key: str) -> bool:
    give_up_at = datetime.now() + timedelta(seconds=CLAIM_WAIT_S)  # expect: ARM103
    while datetime.now() < give_up_at:
        if storage.exists(key):
            return True
        time.sleep(1)
    return False


def job_duration_label(job: Job) -> str:
    # ok: display
    end = job.finished_at or datetime.now(timezone.utc)
    return f"{(end - job.started_at).total_seconds():.0f}s"


def runner_health_adaptive(db: Session) -> list[str]:
    # ok: adaptive threshold per runner (3x its observed p99 heartbeat gap)
    rows = db.execute(text(
        """
        select id from runners
         where extract(epoch from now() - last_heartbeat) * 1000 >= 3 * hb_gap_p99_ms
        """
    )).all()
    return [r[0] for r in rows]

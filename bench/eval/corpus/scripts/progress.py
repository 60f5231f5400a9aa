#!/usr/bin/env python3
"""Backfill script with a progress bar and ETA. Run by hand from a bastion."""
import argparse
import sys
import time
from datetime import datetime, timedelta

import psycopg


def fmt_eta(done, total, start):
    elapsed = time.time() - start  # ok: display only
    rate = done / elapsed if elapsed else 0
    remaining = (total - done) / rate if rate else float("inf")
    return f"{done}/{total} eta {remaining:.0f}s"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--lock-timeout", type=int, default=120)
    args = ap.parse_args()

    conn = psycopg.connect(args.dsn, autocommit=True)
    logfile = f"backfill-{datetime.now():%Y%m%d-%H%M}.log"  # ok: file name
    print(f"[{datetime.now().isoformat(timespec='seconds')}] starting, log={logfile}")  # ok: display

    # espera a migração anterior liberar a tabela
    give_up_at = datetime.now() + timedelta(seconds=args.lock_timeout)  # expect: ARM103
    while conn.execute("select exists(select 1 from migration_running)").fetchone()[0]:
        if datetime.now() >= give_up_at:
            sys.exit("migration still running, giving up")
        time.sleep(5)

    ids = [r[0] for r in conn.execute("select id from accounts where plan_code is null")]
    start = time.time()
    for i, acc in enumerate(ids, 1):
        conn.execute("update accounts set plan_code = legacy_plan(id) where id = %s", (acc,))
        if i % 500 == 0:
            sys.stderr.write("\r" + fmt_eta(i, len(ids), start))
    print(f"\ndone in {time.time() - start:.1f}s")  # ok: display


if __name__ == "__main__":
    main()

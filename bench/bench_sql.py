"""SQL analysis speed: `analyzers.analyze` on .sql text vs raw `pglast.parse_sql` on the same text.

Corpus: the .sql files of a public project at a pinned commit when a bare git mirror is given
(`--mirror /work/.mirror/hatchet-dev+hatchet/repo@89d130f303c9`: sqlc query files and goose
migrations of a Postgres-backed workflow engine from the development half of bench/realworld), plus
a synthetic Supabase-style migration corpus built from varied realistic migrations (tables,
policies, triggers, PL/pgSQL workers with leases and heartbeats, pg_cron jobs, webhook inboxes),
repeated with renamed objects up to --lines lines.

    python bench/bench_sql.py [--lines 200000] [--mirror GITDIR[@COMMIT]]
"""
from __future__ import annotations

import argparse
import subprocess
import resource
import time

import pglast

from analyzers import Settings, analyze

TEMPLATES = [
    """-- {n}: perfis e políticas (expiração de convites)
create table if not exists public.profiles_{n} (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null check (char_length(display_name) between 1 and 80),
  avatar_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.profiles_{n} enable row level security;
create policy "own profile {n}" on public.profiles_{n} for select using (auth.uid() = id);
create policy "edit profile {n}" on public.profiles_{n} for update using (auth.uid() = id) with check (auth.uid() = id);
create index if not exists profiles_{n}_name_idx on public.profiles_{n} (lower(display_name));
""",
    """create table public.invites_{n} (
  id bigint generated always as identity primary key,
  email text not null,
  token text not null unique default encode(gen_random_bytes(24), 'hex'),
  expires_at timestamptz not null default now() + interval '7 days'
);
create or replace function public.redeem_invite_{n}(p_token text) returns boolean
language plpgsql security definer set search_path = public as $$
declare
  v_invite public.invites_{n}%rowtype;
begin
  select * into v_invite from public.invites_{n} where token = p_token for update;
  if not found or v_invite.expires_at < now() then
    return false;
  end if;
  delete from public.invites_{n} where id = v_invite.id;
  return true;
end;
$$;
""",
    """create table public.workers_{n} (
  id text primary key,
  last_heartbeat timestamptz not null default now(),
  rtt_p99_ms numeric not null default 1000
);
create or replace function public.claim_job_{n}(p_worker text) returns bigint
language plpgsql as $$
declare
  v_id bigint;
  t0 timestamptz := clock_timestamp();
begin
  update public.jobs_{n} set locked_by = p_worker, locked_at = now()
   where id = (select id from public.jobs_{n} where locked_by is null order by id for update skip locked limit 1)
  returning id into v_id;
  raise debug 'claim took %', clock_timestamp() - t0;
  return v_id;
end $$;
select cron.schedule('reap-{n}', '* * * * *', $$delete from public.workers_{n} where last_heartbeat < now() - interval '30 seconds'$$);
""",
    """create table public.webhook_events_{n} (
  event_id text primary key,
  provider text not null,
  payload jsonb not null,
  received_at timestamptz not null default now()
);
create or replace function public.store_webhook_{n}(p_event_id text, p_payload jsonb) returns void
language sql as $$
  insert into public.webhook_events_{n} (event_id, provider, payload)
  values (p_event_id, 'stripe', p_payload)
  on conflict (event_id) do nothing
$$;
create or replace function public.touch_{n}() returns trigger language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end $$;
create trigger touch_{n} before update on public.profiles_{n} for each row execute function public.touch_{n}();
""",
]


def synthetic(lines: int) -> str:
    parts, total, n = [], 0, 0
    while total < lines:
        block = TEMPLATES[n % len(TEMPLATES)].format(n=n)
        parts.append(block)
        total += block.count("\n")
        n += 1
    return "".join(parts)


def real_files(mirror: str | None) -> list[str]:
    """Every .sql file of COMMIT (default HEAD) in a bare git mirror, read blob by blob."""
    if not mirror:
        return []
    git_dir, _, commit = mirror.partition("@")
    git = ["git", f"--git-dir={git_dir}"]
    listing = subprocess.run([*git, "ls-tree", "-r", "--name-only", commit or "HEAD"],
                             capture_output=True, text=True, check=True).stdout.split("\n")
    return [subprocess.run([*git, "show", f"{commit or 'HEAD'}:{name}"], capture_output=True,
                           check=True).stdout.decode("utf-8", "replace")
            for name in listing if name.endswith(".sql")]


def measure(label: str, texts: list[str], fn) -> float:
    lines = sum(t.count("\n") + 1 for t in texts)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    for text in texts:
        fn(text)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rate = lines / elapsed if elapsed else float("inf")
    print(f"{label:42s} {lines:>9,} lines {elapsed:8.3f} s {rate:>12,.0f} lines/s  peak RSS {peak / 1024:8.1f} MiB (+{(peak - before) / 1024:.1f})")
    return elapsed


def raw_parse(text: str) -> None:
    try:
        pglast.parse_sql(text)
    except pglast.parser.ParseError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--mirror", default=None, help="GITDIR[@COMMIT]: its .sql files form the real corpus")
    args = parser.parse_args()
    settings = Settings()
    corpora = [("synthetic migrations", [synthetic(args.lines)])]
    real = real_files(args.mirror)
    if real:
        corpora.insert(0, (f"real .sql files ({len(real)} files)", real))
    for name, texts in corpora:
        print(f"== {name}")
        findings = sum(len(analyze("supabase/migrations/x.sql", t, settings).findings) for t in texts)
        ours = measure("armadilhas analyze (all SQL rules)", texts, lambda t: analyze("supabase/migrations/x.sql", t, settings))
        theirs = measure("pglast.parse_sql (raw parse, whole text)", texts, raw_parse)
        print(f"   findings: {findings}; analyze / raw parse time ratio: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()

-- Notification fan-out: inbox (dedup) + delivery attempts, consumed from pgmq.
create extension if not exists pgmq;

create table public.notification_inbox (
  message_id   text primary key,
  topic        text not null,
  payload      jsonb not null,
  received_at  timestamptz not null default now()
);

create table public.delivery_attempts (
  id           bigint generated always as identity primary key,
  delivery_id  uuid not null,
  channel      text not null,
  outcome      text not null,
  attempted_at timestamptz not null default now()  -- ok
);

create or replace function public.consume_notifications(p_batch int default 50)
returns int
language plpgsql
as $$
declare
  m record;
  n int := 0;
begin
  for m in select * from pgmq.read('notifications', 30, p_batch) loop
    insert into public.notification_inbox (message_id, topic, payload)  -- expect: ARM403
    values (m.msg_id::text, m.message->>'topic', m.message);
    perform pgmq.delete('notifications', m.msg_id);
    n := n + 1;
  end loop;
  return n;
end;
$$;

create or replace function public.consume_notifications_v2(p_batch int default 50)
returns int
language plpgsql
as $$
declare
  m record;
  n int := 0;
begin
  for m in select * from pgmq.read('notifications', 30, p_batch) loop
    insert into public.notification_inbox (message_id, topic, payload)
    values (m.msg_id::text, m.message->>'topic', m.message)
    on conflict (message_id) do nothing;  -- ok
    perform pgmq.delete('notifications', m.msg_id);
    n := n + 1;
  end loop;
  return n;
end;
$$;

create or replace function public.record_delivery(p_delivery uuid, p_channel text, p_outcome text)
returns void
language sql
as $$
  insert into public.delivery_attempts (delivery_id, channel, outcome)  -- ok: attempt log, one row per attempt by design
  values (p_delivery, p_channel, p_outcome);
$$;

create or replace function public.record_processed_sqs(p_message_id text, p_queue text)
returns void
language sql
as $$
  insert into public.processed_messages (message_id, queue)  -- expect: ARM403
  values (p_message_id, p_queue);
$$;

-- ok: user-facing preferences CRUD
create or replace function public.set_channel_pref(p_user uuid, p_channel text, p_enabled boolean)
returns void
language sql
as $$
  insert into public.channel_prefs (user_id, channel, enabled)
  values (p_user, p_channel, p_enabled);
$$;

create or replace view public.delivery_stats as
select channel, outcome, count(*) as n, max(attempted_at) as last_attempt
  from public.delivery_attempts
 where attempted_at > now() - interval '1 day'  -- ok: reporting window
 group by channel, outcome;

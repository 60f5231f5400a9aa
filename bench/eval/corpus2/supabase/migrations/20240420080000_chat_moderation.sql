-- Chat: moderação (mute/ban) e retenção

create table public.room_bans (
    room_id      uuid not null,
    user_id      uuid not null,
    banned_by    uuid not null,
    reason       text,
    banned_until timestamptz,
    created_at   timestamptz not null default now(),   -- ok
    primary key (room_id, user_id)
);

create table public.room_mutes (
    room_id     uuid not null,
    user_id     uuid not null,
    muted_until timestamptz not null,
    primary key (room_id, user_id)
);

create or replace function public.ban_user(p_room uuid, p_user uuid, p_hours int, p_reason text)
returns void
language plpgsql
security definer
as $$
begin
    insert into public.room_bans (room_id, user_id, banned_by, reason, banned_until)
    values (p_room, p_user, auth.uid(), p_reason, clock_timestamp() + make_interval(hours => p_hours))  -- expect: ARM101
    on conflict (room_id, user_id) do update set banned_until = excluded.banned_until, reason = excluded.reason;
end;
$$;

create or replace function public.mute_user(p_room uuid, p_user uuid, p_minutes int)
returns void
language sql
security definer
as $$
    insert into public.room_mutes (room_id, user_id, muted_until)
    values (p_room, p_user, now() + make_interval(mins => p_minutes))   -- ok
    on conflict (room_id, user_id) do update set muted_until = excluded.muted_until;
$$;

alter table public.chat_messages enable row level security;

create policy messages_insert_not_muted on public.chat_messages
    for insert with check (
        not exists (select 1 from public.room_mutes m
                     where m.room_id = chat_messages.room_id and m.user_id = auth.uid()
                       and m.muted_until > now())   -- ok
        and not exists (select 1 from public.room_bans b
                         where b.room_id = chat_messages.room_id and b.user_id = auth.uid()
                           and (b.banned_until is null or b.banned_until > now()))   -- ok
    );

-- Retenção: mensagens de salas arquivadas com mais de 1 ano
select cron.schedule('chat-retention', '0 4 * * *', $$
    delete from public.chat_messages
     where room_id in (select id from public.chat_rooms where archived)
       and sent_at < now() - interval '365 days'   -- ok: retention, not a failure detector
$$);

-- Quanto tempo a limpeza leva (diagnóstico)
do $$
declare t0 timestamptz := clock_timestamp();
begin
    delete from public.room_mutes where muted_until < now();   -- ok: TTL cleanup
    raise notice 'mute cleanup took %', clock_timestamp() - t0;  -- ok
end $$;

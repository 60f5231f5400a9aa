-- Device registry (IoT) — tabelas, RLS e views de status
-- Supabase migration

create table public.tenants (
    id         uuid primary key default gen_random_uuid(),
    name       text not null,
    created_at timestamptz not null default now()   -- ok
);

create table public.devices (
    id          uuid primary key default gen_random_uuid(),
    tenant_id   uuid not null references public.tenants(id) on delete cascade,
    serial      text not null unique,
    status      text not null default 'provisioned',
    last_seen   timestamptz,
    gateway_id  text,
    created_at  timestamptz not null default now(),  -- ok
    updated_at  timestamptz not null default now()   -- ok
);

-- Sessão de manutenção remota: o técnico "segura" o device por 30 min
create table public.maintenance_sessions (
    id           uuid primary key default gen_random_uuid(),
    device_id    uuid not null references public.devices(id),
    technician   uuid not null references auth.users(id),
    opened_at    timestamptz not null default now(),
    lease_until  timestamptz not null default clock_timestamp() + interval '30 minutes'  -- expect: ARM101
);

create table public.device_share_links (
    token       text primary key,
    device_id   uuid not null references public.devices(id),
    valid_until timestamptz not null default now() + interval '7 days'  -- ok: now()
);

alter table public.devices enable row level security;
alter table public.maintenance_sessions enable row level security;
alter table public.device_share_links enable row level security;

create policy devices_tenant_read on public.devices
    for select using (
        tenant_id in (select tenant_id from public.memberships where user_id = auth.uid())
    );

-- Técnico só escreve no device enquanto a sessão estiver válida
create policy devices_maintenance_write on public.devices
    for update using (
        exists (
            select 1 from public.maintenance_sessions m
             where m.device_id = devices.id
               and m.technician = auth.uid()
               and m.lease_until > clock_timestamp()  -- expect: ARM101
        )
    );

create policy share_links_read on public.device_share_links
    for select using (valid_until > now());  -- ok: now()

-- Status exibido no dashboard
create or replace view public.device_status as
select d.id,
       d.serial,
       d.tenant_id,
       case when d.last_seen < now() - interval '5 minutes' then 'offline'  -- expect: ARM302
            else 'online' end as status,
       d.last_seen
  from public.devices d;

-- Visão "última atividade" para humanos (sem decidir nada)
create or replace view public.device_last_activity as
select id, serial, to_char(last_seen, 'DD/MM HH24:MI') as last_seen_label,   -- ok: display
       now() - last_seen as silent_for
  from public.devices;

-- Detecção adaptativa usada pelo alerta
create or replace view private.suspected_devices as
select d.id,
       case when extract(epoch from (now() - d.last_seen)) * 1000 >= 3 * s.interval_p99_ms  -- ok: adaptive
            then 'suspected_dead' else 'alive' end as status
  from public.devices d
  join public.device_heartbeat_stats s on s.device_id = d.id;

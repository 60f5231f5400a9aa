-- Clínica Agenda: reminders, confirmation tokens and RLS.
create extension if not exists pg_cron;

create table public.reminders (
  id            bigint generated always as identity primary key,
  clinic_id     uuid not null references public.clinics(id),
  patient_phone text not null,
  body          text not null,
  send_at       timestamptz not null,
  status        text not null default 'pending',
  provider_sid  text,
  created_at    timestamptz not null default now(),  -- ok: created_at default now()
  updated_at    timestamptz not null default now()
);

create table public.appointment_tokens (
  token          text primary key,
  appointment_id bigint not null references public.appointments(id) on delete cascade,
  patient_id     uuid not null,
  expires_at     timestamptz not null default clock_timestamp() + interval '48 hours',  -- expect: ARM101
  created_at     timestamptz not null default now()
);

create table public.portal_sessions (
  id          uuid primary key default gen_random_uuid(),
  patient_id  uuid not null,
  valid_until timestamptz not null default now() + interval '30 minutes',  -- ok: now()
  created_at  timestamptz not null default now()
);

alter table public.appointment_tokens enable row level security;
alter table public.portal_sessions enable row level security;

create policy "patient reads own live tokens"
  on public.appointment_tokens for select
  to authenticated
  using (patient_id = auth.uid() and expires_at > clock_timestamp());  -- expect: ARM101

create policy "patient reads own live sessions"
  on public.portal_sessions for select
  to authenticated
  using (patient_id = auth.uid() and valid_until > now());  -- ok: now()

create or replace function public.issue_confirmation_token(p_appointment bigint, p_patient uuid)
returns text
language plpgsql
security definer
set search_path = public
as $$
declare
  v_token text := encode(gen_random_bytes(18), 'base64');
begin
  insert into public.appointment_tokens (token, appointment_id, patient_id, expires_at)
  values (v_token, p_appointment, p_patient, clock_timestamp() + interval '48 hours');  -- expect: ARM101
  raise log 'token issued for % at %', p_appointment, clock_timestamp();  -- ok: log output
  return v_token;
end;
$$;

create or replace function public.redeem_token(p_token text)
returns boolean
language plpgsql
as $$
begin
  update public.appointments a
     set confirmed_at = now()
    from public.appointment_tokens t
   where t.token = p_token
     and t.appointment_id = a.id
     and t.expires_at > now();  -- ok: now()
  return found;
end;
$$;

-- pg_cron: limpa tokens vencidos a cada hora
select cron.schedule(
  'purge-expired-tokens',
  '0 * * * *',
  $$delete from public.appointment_tokens where expires_at < now()$$  -- ok: now()
);

create or replace view public.upcoming_reminders as
select r.id, r.send_at, r.status,
       to_char(r.send_at at time zone 'America/Sao_Paulo', 'DD/MM HH24:MI') as send_at_local  -- ok: display
  from public.reminders r
 where r.status = 'pending';

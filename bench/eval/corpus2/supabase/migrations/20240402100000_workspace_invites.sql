-- SaaS: convites de workspace, magic links e políticas RLS

create table public.workspace_invites (
    id           bigint generated always as identity primary key,
    workspace_id uuid not null references public.workspaces(id) on delete cascade,
    email        citext not null,
    role         text not null default 'member',
    token        text not null unique default encode(gen_random_bytes(24), 'hex'),
    created_at   timestamptz not null default now(),                       -- ok
    expires_at   timestamptz not null default now() + interval '7 days',   -- ok
    accepted_by  uuid references auth.users(id),
    accepted_at  timestamptz
);

create table public.magic_links (
    token       text primary key,
    user_id     uuid not null references auth.users(id),
    expires_at  timestamptz not null,
    constraint magic_link_not_expired check (expires_at > clock_timestamp())  -- expect: ARM101
);

alter table public.workspace_invites enable row level security;
alter table public.magic_links enable row level security;

create policy invites_admin_all on public.workspace_invites
    for all using (
        exists (select 1 from public.memberships m
                 where m.workspace_id = workspace_invites.workspace_id
                   and m.user_id = auth.uid() and m.role = 'admin')
    );

create policy invites_invitee_read on public.workspace_invites
    for select using (
        email = (auth.jwt() ->> 'email')::citext
        and expires_at > now()   -- ok
    );

create or replace function public.accept_invite(p_token text)
returns uuid
language plpgsql
security definer
set search_path = public
as $$
declare
    v_ws uuid;
begin
    update public.workspace_invites
       set accepted_by = auth.uid(), accepted_at = now()
     where token = p_token and accepted_by is null and expires_at > now()  -- ok
    returning workspace_id into v_ws;

    if v_ws is null then
        raise exception 'convite inválido ou expirado';
    end if;

    insert into public.memberships (workspace_id, user_id, role)   -- ok: CRUD
    select workspace_id, auth.uid(), role from public.workspace_invites where token = p_token;
    return v_ws;
end;
$$;

create or replace function public.issue_magic_link(p_user uuid)
returns text
language plpgsql
security definer
as $$
declare
    v_token text := encode(gen_random_bytes(32), 'hex');
begin
    insert into public.magic_links (token, user_id, expires_at)
    values (v_token, p_user, clock_timestamp() + interval '15 minutes');  -- expect: ARM101
    return v_token;
end;
$$;

-- Relatório de convites pendentes (somente exibição)
create or replace view public.pending_invites_report as
select workspace_id, email,
       to_char(expires_at at time zone 'America/Sao_Paulo', 'DD/MM/YYYY HH24:MI') as expira_em,  -- ok
       expires_at - now() as restante
  from public.workspace_invites
 where accepted_by is null;

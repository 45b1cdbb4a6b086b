SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;
SET default_tablespace = '';
SET default_table_access_method = heap;
CREATE TABLE public.api_key_usage_days (
    id bigint NOT NULL,
    day date NOT NULL,
    calls bigint NOT NULL,
    api_key_id bigint NOT NULL
);
CREATE SEQUENCE public.api_key_usage_days_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.api_key_usage_days_id_seq OWNED BY public.api_key_usage_days.id;
CREATE TABLE public.api_keys (
    id bigint NOT NULL,
    name character varying(100) NOT NULL,
    description text,
    key_hash character varying(64) NOT NULL,
    key_prefix character varying(16) NOT NULL,
    key_last_four character varying(4) NOT NULL,
    scopes_encoded character varying(32) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone,
    last_used_at timestamp with time zone,
    total_calls bigint NOT NULL,
    created_by_id bigint,
    allowed_cidrs_encoded text,
    last_used_ip character varying(45),
    previous_key_hash character varying(64),
    previous_secret_expires_at timestamp with time zone,
    rate_limit_per_minute integer,
    rate_limited_calls bigint NOT NULL,
    rolled_at timestamp with time zone
);
CREATE SEQUENCE public.api_keys_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.api_keys_id_seq OWNED BY public.api_keys.id;
CREATE TABLE public.audit_events (
    id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    actor_type character varying(16) NOT NULL,
    actor_id bigint,
    client_address character varying(45),
    action character varying(64) NOT NULL,
    target_type character varying(16),
    target_id bigint,
    outcome character varying(32) NOT NULL,
    details jsonb
);
COMMENT ON TABLE public.audit_events IS 'Who did what to which user or key, and how it ended. Written in the same transaction';
CREATE SEQUENCE public.audit_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.audit_events_id_seq OWNED BY public.audit_events.id;
CREATE TABLE public.sessions (
    id bigint NOT NULL,
    token_hash character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    user_id bigint NOT NULL
);
CREATE SEQUENCE public.sessions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.sessions_id_seq OWNED BY public.sessions.id;
CREATE TABLE public.tortoise_migrations (
    id integer NOT NULL,
    app character varying(255) NOT NULL,
    name character varying(255) NOT NULL,
    applied_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.tortoise_migrations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.tortoise_migrations_id_seq OWNED BY public.tortoise_migrations.id;
CREATE TABLE public.users (
    id bigint NOT NULL,
    email character varying(320) NOT NULL,
    display_name character varying(200) NOT NULL,
    password_hash character varying(255) NOT NULL,
    roles_encoded character varying(64) NOT NULL,
    status character varying(16) NOT NULL,
    last_login_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
COMMENT ON COLUMN public.users.status IS 'ACTIVE: ACTIVE\nINACTIVE: INACTIVE';
CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;
ALTER TABLE ONLY public.api_key_usage_days ALTER COLUMN id SET DEFAULT nextval('public.api_key_usage_days_id_seq'::regclass);
ALTER TABLE ONLY public.api_keys ALTER COLUMN id SET DEFAULT nextval('public.api_keys_id_seq'::regclass);
ALTER TABLE ONLY public.audit_events ALTER COLUMN id SET DEFAULT nextval('public.audit_events_id_seq'::regclass);
ALTER TABLE ONLY public.sessions ALTER COLUMN id SET DEFAULT nextval('public.sessions_id_seq'::regclass);
ALTER TABLE ONLY public.tortoise_migrations ALTER COLUMN id SET DEFAULT nextval('public.tortoise_migrations_id_seq'::regclass);
ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);
INSERT INTO public.api_key_usage_days VALUES (1, '2026-12-05', 3, 1);
INSERT INTO public.api_keys VALUES (2, 'retired', NULL, '3f861c36ea0ab0bbfdedd5b6757ce57fcbdaacd61173bfc94ca21841e475d6f3', 'gk_v6cG', 'hjCW', ',READ,', '2026-12-05 01:36:22.023631+00', NULL, '2026-12-05 01:36:22.072401+00', NULL, 0, 1, NULL, NULL, NULL, NULL, NULL, 0, NULL);
INSERT INTO public.api_keys VALUES (1, 'deploy', NULL, '30b99b612635823dc10315da586fbbf982acb18a5419f3d1ef9ab808ef93c00d', 'gk_S1rh', 'MVVW', ',READ,WRITE,', '2026-12-05 01:36:21.991632+00', NULL, NULL, '2026-12-05 01:36:22.166079+00', 3, 1, NULL, NULL, NULL, NULL, NULL, 0, NULL);
INSERT INTO public.sessions VALUES (1, '9887784e416c6ca1cd82d7f9f38869173cdbd3c8117d32733d7dceb6691067a3', '2026-12-05 01:36:21.920506+00', '2026-12-05 13:36:21.920044+00', 1);
INSERT INTO public.tortoise_migrations VALUES (1, 'models', '0001_initial', '2026-12-05 01:36:21.295777+00');
INSERT INTO public.tortoise_migrations VALUES (2, 'models', '0002_key_lifecycle_and_audit', '2026-12-05 01:36:21.34005+00');
INSERT INTO public.users VALUES (1, 'owner@example.com', 'Administrator', '$argon2id$v=19$m=64,t=1,p=1$6OMrTzKrcYUnJCa0EydFiw$qY98ISnewRFUozv7BOGpLzThmfU3lThFJfy6/wrmg1c', ',SUPER_ADMIN,', 'ACTIVE', '2026-12-05 01:36:21.920044+00', '2026-12-05 01:36:21.362887+00', '2026-12-05 01:36:21.363009+00');
INSERT INTO public.users VALUES (2, 'member@example.com', 'Member', '$argon2id$v=19$m=64,t=1,p=1$DYZK+08I9KMeSlCkxwLIjA$zO0y6Yu5dN4/WeLBXB/T9wTzZMnV+SzCcDgzLhRg3is', ',ADMIN,', 'ACTIVE', NULL, '2026-12-05 01:36:21.958138+00', '2026-12-05 01:36:21.95815+00');
SELECT pg_catalog.setval('public.api_key_usage_days_id_seq', 1, true);
SELECT pg_catalog.setval('public.api_keys_id_seq', 2, true);
SELECT pg_catalog.setval('public.audit_events_id_seq', 1, false);
SELECT pg_catalog.setval('public.sessions_id_seq', 1, true);
SELECT pg_catalog.setval('public.tortoise_migrations_id_seq', 2, true);
SELECT pg_catalog.setval('public.users_id_seq', 2, true);
ALTER TABLE ONLY public.api_key_usage_days
    ADD CONSTRAINT api_key_usage_days_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash);
ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_previous_key_hash_key UNIQUE (previous_key_hash);
ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_token_hash_key UNIQUE (token_hash);
ALTER TABLE ONLY public.tortoise_migrations
    ADD CONSTRAINT tortoise_migrations_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.api_key_usage_days
    ADD CONSTRAINT uid_api_key_usa_api_key_24fddc UNIQUE (api_key_id, day);
ALTER TABLE ONLY public.tortoise_migrations
    ADD CONSTRAINT uid_tortoise_mi_app_3803a5 UNIQUE (app, name);
ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_email_key UNIQUE (email);
ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);
CREATE INDEX idx_api_key_usa_day_d87ad5 ON public.api_key_usage_days USING btree (day);
CREATE INDEX idx_api_keys_created_02991d ON public.api_keys USING btree (created_at);
CREATE INDEX idx_api_keys_expires_d4694f ON public.api_keys USING btree (expires_at);
CREATE INDEX idx_api_keys_revoked_7edebd ON public.api_keys USING btree (revoked_at);
CREATE INDEX idx_audit_event_action_b36abe ON public.audit_events USING btree (action);
CREATE INDEX idx_audit_event_actor_i_69aa3e ON public.audit_events USING btree (actor_id);
CREATE INDEX idx_audit_event_at_d387df ON public.audit_events USING btree (at);
CREATE INDEX idx_audit_event_target__f57819 ON public.audit_events USING btree (target_id);
CREATE INDEX idx_sessions_expires_6bcc94 ON public.sessions USING btree (expires_at);
CREATE INDEX idx_users_created_43d91f ON public.users USING btree (created_at);
ALTER TABLE ONLY public.api_key_usage_days
    ADD CONSTRAINT api_key_usage_days_api_key_id_fkey FOREIGN KEY (api_key_id) REFERENCES public.api_keys(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_created_by_id_fkey FOREIGN KEY (created_by_id) REFERENCES public.users(id) ON DELETE SET NULL;
ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

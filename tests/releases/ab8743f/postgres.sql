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
CREATE TABLE public.api_call_days (
    day date NOT NULL,
    calls bigint NOT NULL
);
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
    rate_limited_calls bigint DEFAULT 0 NOT NULL,
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
CREATE TABLE public.rate_limit_counters (
    bucket character varying(255) NOT NULL,
    hits bigint NOT NULL,
    expires_at double precision NOT NULL
);
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
CREATE TABLE public.webhook_events (
    id bigint NOT NULL,
    event_id character varying(40) NOT NULL,
    type character varying(32) NOT NULL,
    payload jsonb NOT NULL,
    dedupe_key character varying(100),
    created_at timestamp with time zone NOT NULL,
    attempts integer NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    locked_until timestamp with time zone,
    delivered_at timestamp with time zone,
    last_error character varying(200),
    ordering_key character varying(64)
);
CREATE SEQUENCE public.webhook_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.webhook_events_id_seq OWNED BY public.webhook_events.id;
ALTER TABLE ONLY public.api_key_usage_days ALTER COLUMN id SET DEFAULT nextval('public.api_key_usage_days_id_seq'::regclass);
ALTER TABLE ONLY public.api_keys ALTER COLUMN id SET DEFAULT nextval('public.api_keys_id_seq'::regclass);
ALTER TABLE ONLY public.audit_events ALTER COLUMN id SET DEFAULT nextval('public.audit_events_id_seq'::regclass);
ALTER TABLE ONLY public.sessions ALTER COLUMN id SET DEFAULT nextval('public.sessions_id_seq'::regclass);
ALTER TABLE ONLY public.tortoise_migrations ALTER COLUMN id SET DEFAULT nextval('public.tortoise_migrations_id_seq'::regclass);
ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);
ALTER TABLE ONLY public.webhook_events ALTER COLUMN id SET DEFAULT nextval('public.webhook_events_id_seq'::regclass);
INSERT INTO public.api_call_days VALUES ('2026-12-05', 3);
INSERT INTO public.api_key_usage_days VALUES (1, '2026-12-05', 3, 1);
INSERT INTO public.api_keys VALUES (2, 'retired', NULL, '1d54c8a9e0e2d4d6d9da0dfc7c19dd1911e2760eb81c3f2c534496efad87ed27', 'gk_6Zy4', 'EDOH', ',READ,', '2026-12-05 04:19:39.0897+00', NULL, '2026-12-05 04:19:39.249742+00', NULL, 0, 1, NULL, NULL, NULL, NULL, NULL, 0, NULL);
INSERT INTO public.api_keys VALUES (1, 'deploy', NULL, '9c7ad64aa8c18ea41508bc5affc6b7cbf669a4b22fb0fa38c41633c3405d2bc9', 'gk_FKpM', 'AgoO', ',READ,WRITE,', '2026-12-05 04:19:38.922238+00', NULL, NULL, '2026-12-05 04:19:39.693724+00', 3, 1, NULL, '127.0.0.1', NULL, NULL, NULL, 0, NULL);
INSERT INTO public.audit_events VALUES (1, '2026-12-05 04:19:37.592014+00', 'system', NULL, NULL, 'user.create', 'user', 1, 'OK', '{"email": "owner@example.com", "roles": ["SUPER_ADMIN"], "displayName": "Administrator"}');
INSERT INTO public.audit_events VALUES (2, '2026-12-05 04:19:38.586122+00', 'user', 1, '127.0.0.1', 'session.login', 'user', 1, 'OK', '{"email": "owner@example.com"}');
INSERT INTO public.audit_events VALUES (3, '2026-12-05 04:19:38.770866+00', 'user', 1, '127.0.0.1', 'user.create', 'user', 2, 'OK', '{"email": "member@example.com", "roles": ["ADMIN"], "displayName": "Member"}');
INSERT INTO public.audit_events VALUES (4, '2026-12-05 04:19:38.93692+00', 'user', 1, '127.0.0.1', 'api_key.create', 'api_key', 1, 'OK', '{"name": "deploy", "scopes": ["READ", "WRITE"], "expiresAt": null, "allowedCidrs": null, "rateLimitPerMinute": null}');
INSERT INTO public.audit_events VALUES (5, '2026-12-05 04:19:39.097717+00', 'user', 1, '127.0.0.1', 'api_key.create', 'api_key', 2, 'OK', '{"name": "retired", "scopes": ["READ"], "expiresAt": null, "allowedCidrs": null, "rateLimitPerMinute": null}');
INSERT INTO public.audit_events VALUES (6, '2026-12-05 04:19:39.254762+00', 'user', 1, '127.0.0.1', 'api_key.revoke', 'api_key', 2, 'OK', '{"name": "retired", "alreadyRevoked": false}');
INSERT INTO public.rate_limit_counters VALUES ('login/in-flight/address:12ca17b49af2289436f303e0166030a21e525d266e209267433801a8fd4071a0', 0, 1796444678.478537);
INSERT INTO public.rate_limit_counters VALUES ('login/in-flight/account:c8cd3c6427301eaf6665bccacd65ddb614527acc843a15463e3faba57124c351', 0, 1796444678.501736);
INSERT INTO public.sessions VALUES (1, '7002646bf10bba32e8cda35d4764c52e5d294b61c0c8496ca6d37d80b89d205e', '2026-12-05 04:19:38.570533+00', '2026-12-05 16:19:38.569804+00', 1);
INSERT INTO public.tortoise_migrations VALUES (1, 'models', '0001_initial', '2026-12-05 04:19:36.687093+00');
INSERT INTO public.tortoise_migrations VALUES (2, 'models', '0002_key_lifecycle_and_audit', '2026-12-05 04:19:36.978176+00');
INSERT INTO public.tortoise_migrations VALUES (3, 'models', '0003_keys', '2026-12-05 04:19:37.065839+00');
INSERT INTO public.tortoise_migrations VALUES (4, 'models', '0004_limiter', '2026-12-05 04:19:37.126+00');
INSERT INTO public.tortoise_migrations VALUES (5, 'models', '0005_call_totals', '2026-12-05 04:19:37.209702+00');
INSERT INTO public.tortoise_migrations VALUES (6, 'models', '0006_sort_indexes', '2026-12-05 04:19:37.461764+00');
INSERT INTO public.tortoise_migrations VALUES (7, 'models', '0007_rate_limited_calls_default', '2026-12-05 04:19:37.490254+00');
INSERT INTO public.tortoise_migrations VALUES (8, 'models', '0008_webhook_ordering', '2026-12-05 04:19:37.522421+00');
INSERT INTO public.users VALUES (1, 'owner@example.com', 'Administrator', '$argon2id$v=19$m=64,t=1,p=1$WcreuVbV2RiKJn3MQ9du+Q$UCJ9u1TEZqJh9c2Sp+M6xPnb8RwKTq8opc1ldGSrFg8', ',SUPER_ADMIN,', 'ACTIVE', '2026-12-05 04:19:38.569804+00', '2026-12-05 04:19:37.590118+00', '2026-12-05 04:19:37.590288+00');
INSERT INTO public.users VALUES (2, 'member@example.com', 'Member', '$argon2id$v=19$m=64,t=1,p=1$X0mtLGsrvIpECFvWMo+NSg$RtJCda/cTFLPuHwRrCgu9mf1cp7HilUnitEpc8lcBXY', ',ADMIN,', 'ACTIVE', NULL, '2026-12-05 04:19:38.770232+00', '2026-12-05 04:19:38.770252+00');
SELECT pg_catalog.setval('public.api_key_usage_days_id_seq', 3, true);
SELECT pg_catalog.setval('public.api_keys_id_seq', 2, true);
SELECT pg_catalog.setval('public.audit_events_id_seq', 6, true);
SELECT pg_catalog.setval('public.sessions_id_seq', 1, true);
SELECT pg_catalog.setval('public.tortoise_migrations_id_seq', 8, true);
SELECT pg_catalog.setval('public.users_id_seq', 2, true);
SELECT pg_catalog.setval('public.webhook_events_id_seq', 1, false);
ALTER TABLE ONLY public.api_call_days
    ADD CONSTRAINT api_call_days_pkey PRIMARY KEY (day);
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
ALTER TABLE ONLY public.rate_limit_counters
    ADD CONSTRAINT rate_limit_counters_pkey PRIMARY KEY (bucket);
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
ALTER TABLE ONLY public.webhook_events
    ADD CONSTRAINT webhook_events_dedupe_key_key UNIQUE (dedupe_key);
ALTER TABLE ONLY public.webhook_events
    ADD CONSTRAINT webhook_events_event_id_key UNIQUE (event_id);
ALTER TABLE ONLY public.webhook_events
    ADD CONSTRAINT webhook_events_pkey PRIMARY KEY (id);
CREATE INDEX idx_api_key_usa_day_d87ad5 ON public.api_key_usage_days USING btree (day);
CREATE INDEX idx_api_keys_created_02991d ON public.api_keys USING btree (created_at);
CREATE INDEX idx_api_keys_created_f45c70 ON public.api_keys USING btree (created_at, id);
CREATE INDEX idx_api_keys_expires_930194 ON public.api_keys USING btree (expires_at, id);
CREATE INDEX idx_api_keys_expires_d4694f ON public.api_keys USING btree (expires_at);
CREATE INDEX idx_api_keys_expires_e113ca ON public.api_keys USING btree (expires_at, revoked_at);
CREATE INDEX idx_api_keys_last_us_509823 ON public.api_keys USING btree (last_used_at, id);
CREATE INDEX idx_api_keys_name_4f5780 ON public.api_keys USING btree (name, id);
CREATE INDEX idx_api_keys_revoked_7edebd ON public.api_keys USING btree (revoked_at);
CREATE INDEX idx_api_keys_total_c_3ae047 ON public.api_keys USING btree (total_calls, id);
CREATE INDEX idx_audit_event_action_b36abe ON public.audit_events USING btree (action);
CREATE INDEX idx_audit_event_actor_i_69aa3e ON public.audit_events USING btree (actor_id);
CREATE INDEX idx_audit_event_at_d387df ON public.audit_events USING btree (at);
CREATE INDEX idx_audit_event_target__f57819 ON public.audit_events USING btree (target_id);
CREATE INDEX idx_rate_limit__expires_f847de ON public.rate_limit_counters USING btree (expires_at);
CREATE INDEX idx_sessions_expires_6bcc94 ON public.sessions USING btree (expires_at);
CREATE INDEX idx_users_created_43d91f ON public.users USING btree (created_at);
CREATE INDEX idx_users_created_eeb5e9 ON public.users USING btree (created_at, id);
CREATE INDEX idx_users_display_92ee79 ON public.users USING btree (display_name, id);
CREATE INDEX idx_users_last_lo_d82a8f ON public.users USING btree (last_login_at, id);
CREATE INDEX idx_webhook_eve_created_6154d8 ON public.webhook_events USING btree (created_at);
CREATE INDEX idx_webhook_eve_deliver_6b6e1d ON public.webhook_events USING btree (delivered_at);
CREATE INDEX idx_webhook_eve_next_at_510263 ON public.webhook_events USING btree (next_attempt_at);
ALTER TABLE ONLY public.api_key_usage_days
    ADD CONSTRAINT api_key_usage_days_api_key_id_fkey FOREIGN KEY (api_key_id) REFERENCES public.api_keys(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_created_by_id_fkey FOREIGN KEY (created_by_id) REFERENCES public.users(id) ON DELETE SET NULL;
ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

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
    created_by_id bigint
);
CREATE SEQUENCE public.api_keys_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.api_keys_id_seq OWNED BY public.api_keys.id;
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
ALTER TABLE ONLY public.sessions ALTER COLUMN id SET DEFAULT nextval('public.sessions_id_seq'::regclass);
ALTER TABLE ONLY public.tortoise_migrations ALTER COLUMN id SET DEFAULT nextval('public.tortoise_migrations_id_seq'::regclass);
ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);
INSERT INTO public.api_key_usage_days VALUES (1, '2026-12-05', 3, 1);
INSERT INTO public.api_keys VALUES (2, 'retired', NULL, '9e902551aae3768b921fbdc3bab51b9bd6d309add0d2849f1a7fead7166a21df', 'gk_Wpd3', 'iz5t', ',READ,', '2026-12-05 01:36:14.623631+00', NULL, '2026-12-05 01:36:14.654835+00', NULL, 0, 1);
INSERT INTO public.api_keys VALUES (1, 'deploy', NULL, '5ebf7e54ce3b62e59b45ef117846b6b58ef13a6baf1e0469734b1c772b5afb5a', 'gk_LuDH', 'Aqb0', ',READ,WRITE,', '2026-12-05 01:36:14.598267+00', NULL, NULL, '2026-12-05 01:36:14.741737+00', 3, 1);
INSERT INTO public.sessions VALUES (1, '388b9c30648abec4dca4a65289c9fdb74c60db2449341f354a5826a84749b6f0', '2026-12-05 01:36:14.54021+00', '2026-12-05 13:36:14.539765+00', 1);
INSERT INTO public.tortoise_migrations VALUES (1, 'models', '0001_initial', '2026-12-05 01:36:14.211683+00');
INSERT INTO public.users VALUES (1, 'owner@example.com', 'Administrator', '$argon2id$v=19$m=64,t=1,p=1$WgSf5fyhzLlVtN7wel2jfA$NxZcslYCRMh8kDPO41YK/mzoWs1qMfkKXES1xzHsGzM', ',SUPER_ADMIN,', 'ACTIVE', '2026-12-05 01:36:14.539765+00', '2026-12-05 01:36:14.223638+00', '2026-12-05 01:36:14.223754+00');
INSERT INTO public.users VALUES (2, 'member@example.com', 'Member', '$argon2id$v=19$m=64,t=1,p=1$cB/rvHeWSwHRVlQ02Dw3aw$iFODG0tptlg99ciGdx8eVablkGUyvnL6QDNbZv2cxwg', ',ADMIN,', 'ACTIVE', NULL, '2026-12-05 01:36:14.570904+00', '2026-12-05 01:36:14.570914+00');
SELECT pg_catalog.setval('public.api_key_usage_days_id_seq', 1, true);
SELECT pg_catalog.setval('public.api_keys_id_seq', 2, true);
SELECT pg_catalog.setval('public.sessions_id_seq', 1, true);
SELECT pg_catalog.setval('public.tortoise_migrations_id_seq', 1, true);
SELECT pg_catalog.setval('public.users_id_seq', 2, true);
ALTER TABLE ONLY public.api_key_usage_days
    ADD CONSTRAINT api_key_usage_days_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash);
ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);
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
CREATE INDEX idx_sessions_expires_6bcc94 ON public.sessions USING btree (expires_at);
CREATE INDEX idx_users_created_43d91f ON public.users USING btree (created_at);
ALTER TABLE ONLY public.api_key_usage_days
    ADD CONSTRAINT api_key_usage_days_api_key_id_fkey FOREIGN KEY (api_key_id) REFERENCES public.api_keys(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_created_by_id_fkey FOREIGN KEY (created_by_id) REFERENCES public.users(id) ON DELETE SET NULL;
ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

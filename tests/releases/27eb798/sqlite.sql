BEGIN TRANSACTION;
CREATE TABLE "api_key_usage_days" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "day" DATE NOT NULL,
    "calls" BIGINT NOT NULL,
    "api_key_id" BIGINT NOT NULL REFERENCES "api_keys" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_api_key_usa_api_key_24fddc" UNIQUE ("api_key_id", "day")
);
INSERT INTO "api_key_usage_days" VALUES(1,'2026-12-05',3,1);
CREATE TABLE "api_keys" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "description" TEXT,
    "key_hash" VARCHAR(64) NOT NULL UNIQUE,
    "key_prefix" VARCHAR(16) NOT NULL,
    "key_last_four" VARCHAR(4) NOT NULL,
    "scopes_encoded" VARCHAR(32) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP,
    "revoked_at" TIMESTAMP,
    "last_used_at" TIMESTAMP,
    "total_calls" BIGINT NOT NULL,
    "created_by_id" BIGINT REFERENCES "users" ("id") ON DELETE SET NULL
, "allowed_cidrs_encoded" TEXT, "last_used_ip" VARCHAR(45), "previous_key_hash" VARCHAR(64), "previous_secret_expires_at" TIMESTAMP, "rate_limit_per_minute" INT, "rate_limited_calls" BIGINT NOT NULL, "rolled_at" TIMESTAMP);
INSERT INTO "api_keys" VALUES(1,'deploy',NULL,'20bd082900a97cf5d274bdffaa8a5040a49236ef293d1a5c4470fa1dfc447453','gk_Zo5y','t6Al',',READ,WRITE,','2026-12-05 01:36:20.437645+00:00',NULL,NULL,'2026-12-05 01:36:20.574340+00:00',3,1,NULL,NULL,NULL,NULL,NULL,0,NULL);
INSERT INTO "api_keys" VALUES(2,'retired',NULL,'b042b20836e6b39dad4da55e629096ffa0828a00703261e461c7186058e02a0f','gk_u1Jj','kUK3',',READ,','2026-12-05 01:36:20.466738+00:00',NULL,'2026-12-05 01:36:20.491613+00:00',NULL,0,1,NULL,NULL,NULL,NULL,NULL,0,NULL);
CREATE TABLE "audit_events" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "actor_type" VARCHAR(16) NOT NULL,
    "actor_id" BIGINT,
    "client_address" VARCHAR(45),
    "action" VARCHAR(64) NOT NULL,
    "target_type" VARCHAR(16),
    "target_id" BIGINT,
    "outcome" VARCHAR(32) NOT NULL,
    "details" JSON
);
CREATE TABLE "sessions" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "created_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "user_id" BIGINT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
INSERT INTO "sessions" VALUES(1,'0a6fb82e196576e8511136c0cdb785925451a8771bd811dc1578c2d96d0d558f','2026-12-05 01:36:20.370782+00:00','2026-12-05 13:36:20.370376+00:00',1);
CREATE TABLE "tortoise_migrations" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "app" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "applied_at" TIMESTAMP NOT NULL,
    CONSTRAINT "uid_tortoise_mi_app_3803a5" UNIQUE ("app", "name")
);
INSERT INTO "tortoise_migrations" VALUES(1,'models','0001_initial','2026-12-05 01:36:19.814093+00:00');
INSERT INTO "tortoise_migrations" VALUES(2,'models','0002_key_lifecycle_and_audit','2026-12-05 01:36:19.866510+00:00');
CREATE TABLE "users" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "email" VARCHAR(320) NOT NULL UNIQUE,
    "display_name" VARCHAR(200) NOT NULL,
    "password_hash" VARCHAR(255) NOT NULL,
    "roles_encoded" VARCHAR(64) NOT NULL,
    "status" VARCHAR(16) NOT NULL  /* ACTIVE: ACTIVE\nINACTIVE: INACTIVE */,
    "last_login_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP NOT NULL
);
INSERT INTO "users" VALUES(1,'owner@example.com','Administrator','$argon2id$v=19$m=64,t=1,p=1$RKoBl/szfrQQIuOYZsdF8Q$UXhqe08Kzg5ZI4wvg+wuB0b58H5E/BA7HL6/YlxECXo',',SUPER_ADMIN,','ACTIVE','2026-12-05 01:36:20.370376+00:00','2026-12-05 01:36:19.873263+00:00','2026-12-05 01:36:19.873388+00:00');
INSERT INTO "users" VALUES(2,'member@example.com','Member','$argon2id$v=19$m=64,t=1,p=1$cZ+xifOVWPtlLOw9OIDjFw$by2rPyS3sE27fyUjegbdQZ94xUBDfPHgbPs/bz7/kek',',ADMIN,','ACTIVE',NULL,'2026-12-05 01:36:20.409834+00:00','2026-12-05 01:36:20.409847+00:00');
CREATE INDEX "idx_users_created_43d91f" ON "users" ("created_at");
CREATE INDEX "idx_api_keys_created_02991d" ON "api_keys" ("created_at");
CREATE INDEX "idx_api_keys_expires_d4694f" ON "api_keys" ("expires_at");
CREATE INDEX "idx_api_keys_revoked_7edebd" ON "api_keys" ("revoked_at");
CREATE INDEX "idx_api_key_usa_day_d87ad5" ON "api_key_usage_days" ("day");
CREATE INDEX "idx_sessions_expires_6bcc94" ON "sessions" ("expires_at");
CREATE INDEX "idx_audit_event_at_d387df" ON "audit_events" ("at");
CREATE INDEX "idx_audit_event_actor_i_69aa3e" ON "audit_events" ("actor_id");
CREATE INDEX "idx_audit_event_action_b36abe" ON "audit_events" ("action");
CREATE INDEX "idx_audit_event_target__f57819" ON "audit_events" ("target_id");
CREATE UNIQUE INDEX "uid_api_keys_previou_90a0c7" ON "api_keys" ("previous_key_hash");
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('tortoise_migrations',2);
INSERT INTO "sqlite_sequence" VALUES('users',2);
INSERT INTO "sqlite_sequence" VALUES('sessions',1);
INSERT INTO "sqlite_sequence" VALUES('api_keys',2);
INSERT INTO "sqlite_sequence" VALUES('api_key_usage_days',1);
COMMIT;

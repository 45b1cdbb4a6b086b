BEGIN TRANSACTION;
CREATE TABLE "api_call_days" (
    "day" DATE NOT NULL  PRIMARY KEY,
    "calls" BIGINT NOT NULL
);
INSERT INTO "api_call_days" VALUES('2026-12-05',3);
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
, "allowed_cidrs_encoded" TEXT, "last_used_ip" VARCHAR(45), "previous_key_hash" VARCHAR(64), "previous_secret_expires_at" TIMESTAMP, "rate_limit_per_minute" INT, "rate_limited_calls" BIGINT NOT NULL DEFAULT 0, "rolled_at" TIMESTAMP);
INSERT INTO "api_keys" VALUES(1,'deploy',NULL,'2c4e89c40229101b9fb0fcbec733d48bdfb4d9f4d98c36066ef5a747cf741b31','gk_Rmib','i2mu',',READ,WRITE,','2026-12-05 04:19:33.142893+00:00',NULL,NULL,'2026-12-05 04:19:33.405124+00:00',3,1,NULL,'127.0.0.1',NULL,NULL,NULL,0,NULL);
INSERT INTO "api_keys" VALUES(2,'retired',NULL,'0a0c846b3e5a8990c299e4e9fe5fa21f083ec924fc663886293a46282619dd8b','gk_J0B7','7zCd',',READ,','2026-12-05 04:19:33.195269+00:00',NULL,'2026-12-05 04:19:33.264886+00:00',NULL,0,1,NULL,NULL,NULL,NULL,NULL,0,NULL);
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
INSERT INTO "audit_events" VALUES(1,'2026-12-05 04:19:32.544788+00:00','system',NULL,NULL,'user.create','user',1,'OK','{"email":"owner@example.com","displayName":"Administrator","roles":["SUPER_ADMIN"]}');
INSERT INTO "audit_events" VALUES(2,'2026-12-05 04:19:32.998241+00:00','user',1,'127.0.0.1','session.login','user',1,'OK','{"email":"owner@example.com"}');
INSERT INTO "audit_events" VALUES(3,'2026-12-05 04:19:33.081571+00:00','user',1,'127.0.0.1','user.create','user',2,'OK','{"email":"member@example.com","displayName":"Member","roles":["ADMIN"]}');
INSERT INTO "audit_events" VALUES(4,'2026-12-05 04:19:33.143208+00:00','user',1,'127.0.0.1','api_key.create','api_key',1,'OK','{"name":"deploy","scopes":["READ","WRITE"],"expiresAt":null,"rateLimitPerMinute":null,"allowedCidrs":null}');
INSERT INTO "audit_events" VALUES(5,'2026-12-05 04:19:33.195449+00:00','user',1,'127.0.0.1','api_key.create','api_key',2,'OK','{"name":"retired","scopes":["READ"],"expiresAt":null,"rateLimitPerMinute":null,"allowedCidrs":null}');
INSERT INTO "audit_events" VALUES(6,'2026-12-05 04:19:33.265472+00:00','user',1,'127.0.0.1','api_key.revoke','api_key',2,'OK','{"name":"retired","alreadyRevoked":false}');
CREATE TABLE "rate_limit_counters" (
    "bucket" VARCHAR(255) NOT NULL  PRIMARY KEY,
    "hits" BIGINT NOT NULL,
    "expires_at" REAL NOT NULL
);
INSERT INTO "rate_limit_counters" VALUES('login/in-flight/address:12ca17b49af2289436f303e0166030a21e525d266e209267433801a8fd4071a0',0,1.79644467298645210259e+09);
INSERT INTO "rate_limit_counters" VALUES('login/in-flight/account:c8cd3c6427301eaf6665bccacd65ddb614527acc843a15463e3faba57124c351',0,1.79644467298816299435e+09);
CREATE TABLE "sessions" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "created_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "user_id" BIGINT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
INSERT INTO "sessions" VALUES(1,'e0f4d1bea433f9877ab95be89b0b8f2863171c4107798926ddef771c3c10ae3d','2026-12-05 04:19:32.997854+00:00','2026-12-05 16:19:32.997287+00:00',1);
CREATE TABLE "tortoise_migrations" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "app" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "applied_at" TIMESTAMP NOT NULL,
    CONSTRAINT "uid_tortoise_mi_app_3803a5" UNIQUE ("app", "name")
);
INSERT INTO "tortoise_migrations" VALUES(1,'models','0001_initial','2026-12-05 04:19:32.356205+00:00');
INSERT INTO "tortoise_migrations" VALUES(2,'models','0002_key_lifecycle_and_audit','2026-12-05 04:19:32.460354+00:00');
INSERT INTO "tortoise_migrations" VALUES(3,'models','0003_keys','2026-12-05 04:19:32.464677+00:00');
INSERT INTO "tortoise_migrations" VALUES(4,'models','0004_limiter','2026-12-05 04:19:32.469155+00:00');
INSERT INTO "tortoise_migrations" VALUES(5,'models','0005_call_totals','2026-12-05 04:19:32.482377+00:00');
INSERT INTO "tortoise_migrations" VALUES(6,'models','0006_sort_indexes','2026-12-05 04:19:32.526998+00:00');
INSERT INTO "tortoise_migrations" VALUES(7,'models','0007_rate_limited_calls_default','2026-12-05 04:19:32.530174+00:00');
INSERT INTO "tortoise_migrations" VALUES(8,'models','0008_webhook_ordering','2026-12-05 04:19:32.534903+00:00');
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
INSERT INTO "users" VALUES(1,'owner@example.com','Administrator','$argon2id$v=19$m=64,t=1,p=1$pU21FyZ8M/X5j8pyjKxjgg$KYPFL3o9paXJH2Mwe/JZ2NBUVXYu07sA4f+qM4JX1Gs',',SUPER_ADMIN,','ACTIVE','2026-12-05 04:19:32.997287+00:00','2026-12-05 04:19:32.544217+00:00','2026-12-05 04:19:32.544354+00:00');
INSERT INTO "users" VALUES(2,'member@example.com','Member','$argon2id$v=19$m=64,t=1,p=1$ER56co7q0hnFb14ZeCY3uw$gHaykGrGnIiRssG4DtDnZCrHn0W/GKE9BkEGlHTbDl4',',ADMIN,','ACTIVE',NULL,'2026-12-05 04:19:33.079731+00:00','2026-12-05 04:19:33.079748+00:00');
CREATE TABLE "webhook_events" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "event_id" VARCHAR(40) NOT NULL UNIQUE,
    "type" VARCHAR(32) NOT NULL,
    "payload" JSON NOT NULL,
    "dedupe_key" VARCHAR(100)  UNIQUE,
    "created_at" TIMESTAMP NOT NULL,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMP NOT NULL,
    "locked_until" TIMESTAMP,
    "delivered_at" TIMESTAMP,
    "last_error" VARCHAR(200)
, "ordering_key" VARCHAR(64));
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
CREATE INDEX "idx_webhook_eve_created_6154d8" ON "webhook_events" ("created_at");
CREATE INDEX "idx_webhook_eve_next_at_510263" ON "webhook_events" ("next_attempt_at");
CREATE INDEX "idx_webhook_eve_deliver_6b6e1d" ON "webhook_events" ("delivered_at");
CREATE INDEX "idx_rate_limit__expires_f847de" ON "rate_limit_counters" ("expires_at");
CREATE INDEX "idx_api_keys_expires_e113ca" ON "api_keys" ("expires_at", "revoked_at");
CREATE INDEX "idx_api_keys_name_4f5780" ON "api_keys" ("name", "id");
CREATE INDEX "idx_api_keys_created_f45c70" ON "api_keys" ("created_at", "id");
CREATE INDEX "idx_api_keys_last_us_509823" ON "api_keys" ("last_used_at", "id");
CREATE INDEX "idx_api_keys_expires_930194" ON "api_keys" ("expires_at", "id");
CREATE INDEX "idx_api_keys_total_c_3ae047" ON "api_keys" ("total_calls", "id");
CREATE INDEX "idx_users_display_92ee79" ON "users" ("display_name", "id");
CREATE INDEX "idx_users_created_eeb5e9" ON "users" ("created_at", "id");
CREATE INDEX "idx_users_last_lo_d82a8f" ON "users" ("last_login_at", "id");
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('tortoise_migrations',8);
INSERT INTO "sqlite_sequence" VALUES('users',2);
INSERT INTO "sqlite_sequence" VALUES('audit_events',6);
INSERT INTO "sqlite_sequence" VALUES('sessions',1);
INSERT INTO "sqlite_sequence" VALUES('api_keys',2);
INSERT INTO "sqlite_sequence" VALUES('api_key_usage_days',3);
COMMIT;

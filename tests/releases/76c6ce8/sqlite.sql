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
, "allowed_cidrs_encoded" TEXT, "last_used_ip" VARCHAR(45), "previous_key_hash" VARCHAR(64), "previous_secret_expires_at" TIMESTAMP, "rate_limit_per_minute" INT, "rate_limited_calls" BIGINT NOT NULL, "rolled_at" TIMESTAMP);
INSERT INTO "api_keys" VALUES(1,'deploy',NULL,'fb1dc415388eebb92613710bdfb01b501734a1514876a29156a03564551f7af6','gk_63bo','Utge',',READ,WRITE,','2026-12-05 01:36:30.228639+00:00',NULL,NULL,'2026-12-05 01:36:30.348796+00:00',3,1,NULL,'127.0.0.1',NULL,NULL,NULL,0,NULL);
INSERT INTO "api_keys" VALUES(2,'retired',NULL,'b751b806926cfa5d4db735e34eead4b37a4e07bc77b9b23dd69edb09180f60e6','gk_hME4','K5VY',',READ,','2026-12-05 01:36:30.251616+00:00',NULL,'2026-12-05 01:36:30.278994+00:00',NULL,0,1,NULL,NULL,NULL,NULL,NULL,0,NULL);
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
INSERT INTO "audit_events" VALUES(1,'2026-12-05 01:36:29.838984+00:00','system',NULL,NULL,'user.create','user',1,'OK','{"email":"owner@example.com","displayName":"Administrator","roles":["SUPER_ADMIN"]}');
INSERT INTO "audit_events" VALUES(2,'2026-12-05 01:36:30.173347+00:00','user',1,'127.0.0.1','session.login','user',1,'OK','{"email":"owner@example.com"}');
INSERT INTO "audit_events" VALUES(3,'2026-12-05 01:36:30.202994+00:00','user',1,'127.0.0.1','user.create','user',2,'OK','{"email":"member@example.com","displayName":"Member","roles":["ADMIN"]}');
INSERT INTO "audit_events" VALUES(4,'2026-12-05 01:36:30.228945+00:00','user',1,'127.0.0.1','api_key.create','api_key',1,'OK','{"name":"deploy","scopes":["READ","WRITE"],"expiresAt":null,"rateLimitPerMinute":null,"allowedCidrs":null}');
INSERT INTO "audit_events" VALUES(5,'2026-12-05 01:36:30.251776+00:00','user',1,'127.0.0.1','api_key.create','api_key',2,'OK','{"name":"retired","scopes":["READ"],"expiresAt":null,"rateLimitPerMinute":null,"allowedCidrs":null}');
INSERT INTO "audit_events" VALUES(6,'2026-12-05 01:36:30.279524+00:00','user',1,'127.0.0.1','api_key.revoke','api_key',2,'OK','{"name":"retired","alreadyRevoked":false}');
CREATE TABLE "rate_limit_counters" (
    "bucket" VARCHAR(255) NOT NULL  PRIMARY KEY,
    "hits" BIGINT NOT NULL,
    "expires_at" REAL NOT NULL
);
INSERT INTO "rate_limit_counters" VALUES('login/failures/address:12ca17b49af2289436f303e0166030a21e525d266e209267433801a8fd4071a0',0,1.79643549016958093645e+09);
CREATE TABLE "sessions" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "created_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "user_id" BIGINT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
INSERT INTO "sessions" VALUES(1,'f3a80b81ab8f8086b2e4af215b40a3c5b49aec856191f0455908c64615b44685','2026-12-05 01:36:30.172857+00:00','2026-12-05 13:36:30.172293+00:00',1);
CREATE TABLE "tortoise_migrations" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "app" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "applied_at" TIMESTAMP NOT NULL,
    CONSTRAINT "uid_tortoise_mi_app_3803a5" UNIQUE ("app", "name")
);
INSERT INTO "tortoise_migrations" VALUES(1,'models','0001_initial','2026-12-05 01:36:29.756742+00:00');
INSERT INTO "tortoise_migrations" VALUES(2,'models','0002_key_lifecycle_and_audit','2026-12-05 01:36:29.805513+00:00');
INSERT INTO "tortoise_migrations" VALUES(3,'models','0003_keys','2026-12-05 01:36:29.810705+00:00');
INSERT INTO "tortoise_migrations" VALUES(4,'models','0004_limiter','2026-12-05 01:36:29.816946+00:00');
INSERT INTO "tortoise_migrations" VALUES(5,'models','0005_call_totals','2026-12-05 01:36:29.830833+00:00');
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
INSERT INTO "users" VALUES(1,'owner@example.com','Administrator','$argon2id$v=19$m=64,t=1,p=1$F2EXHhu7hxmylNJ5jcpipQ$qFdRv7EzLpreaq438pRxL/ouCyBOiw0Qo6u1MRiRqwE',',SUPER_ADMIN,','ACTIVE','2026-12-05 01:36:30.172293+00:00','2026-12-05 01:36:29.838351+00:00','2026-12-05 01:36:29.838501+00:00');
INSERT INTO "users" VALUES(2,'member@example.com','Member','$argon2id$v=19$m=64,t=1,p=1$R7xvrldckCVFg3elpb4rHA$aUDnoqhcrwEvMDsseA5uBgzVEqagUkWZqgSLx4lhiAU',',ADMIN,','ACTIVE',NULL,'2026-12-05 01:36:30.202771+00:00','2026-12-05 01:36:30.202782+00:00');
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
);
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
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('tortoise_migrations',5);
INSERT INTO "sqlite_sequence" VALUES('users',2);
INSERT INTO "sqlite_sequence" VALUES('audit_events',6);
INSERT INTO "sqlite_sequence" VALUES('sessions',1);
INSERT INTO "sqlite_sequence" VALUES('api_keys',2);
INSERT INTO "sqlite_sequence" VALUES('api_key_usage_days',3);
COMMIT;

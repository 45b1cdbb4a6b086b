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
);
INSERT INTO "api_keys" VALUES(1,'deploy',NULL,'eaa7af6af28bfe4569ccea5a40b03577b0daa46c4127cba0e7e2badcb82f954e','gk_njC3','nz6v',',READ,WRITE,','2026-12-05 01:36:13.442225+00:00',NULL,NULL,'2026-12-05 01:36:13.576836+00:00',3,1);
INSERT INTO "api_keys" VALUES(2,'retired',NULL,'7d2ff28cb697168b97157d7d23d82da1172887240b59554907280fdcd7cfa080','gk_EWhG','jBr3',',READ,','2026-12-05 01:36:13.472897+00:00',NULL,'2026-12-05 01:36:13.500389+00:00',NULL,0,1);
CREATE TABLE "sessions" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "created_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "user_id" BIGINT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
INSERT INTO "sessions" VALUES(1,'f44fe288604755e6ecc8683c8a2f54f0dbef92e8e866cea83131076d2b5bdb21','2026-12-05 01:36:13.378127+00:00','2026-12-05 13:36:13.377704+00:00',1);
CREATE TABLE "tortoise_migrations" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "app" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "applied_at" TIMESTAMP NOT NULL,
    CONSTRAINT "uid_tortoise_mi_app_3803a5" UNIQUE ("app", "name")
);
INSERT INTO "tortoise_migrations" VALUES(1,'models','0001_initial','2026-12-05 01:36:13.085091+00:00');
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
INSERT INTO "users" VALUES(1,'owner@example.com','Administrator','$argon2id$v=19$m=64,t=1,p=1$VIs9P4t8/BAWQllEgiX0QA$v2KS3qb5Tx77vQAlz8JimLlZOZsXTD3oloOcnosZi7A',',SUPER_ADMIN,','ACTIVE','2026-12-05 01:36:13.377704+00:00','2026-12-05 01:36:13.090803+00:00','2026-12-05 01:36:13.090927+00:00');
INSERT INTO "users" VALUES(2,'member@example.com','Member','$argon2id$v=19$m=64,t=1,p=1$G255iz5td178nDA/N8gc3w$MXbRZn6OpHi/S6SqgndHr4jzU3xTJC6HQ+/wx78WXQU',',ADMIN,','ACTIVE',NULL,'2026-12-05 01:36:13.411560+00:00','2026-12-05 01:36:13.411574+00:00');
CREATE INDEX "idx_users_created_43d91f" ON "users" ("created_at");
CREATE INDEX "idx_api_keys_created_02991d" ON "api_keys" ("created_at");
CREATE INDEX "idx_api_keys_expires_d4694f" ON "api_keys" ("expires_at");
CREATE INDEX "idx_api_keys_revoked_7edebd" ON "api_keys" ("revoked_at");
CREATE INDEX "idx_api_key_usa_day_d87ad5" ON "api_key_usage_days" ("day");
CREATE INDEX "idx_sessions_expires_6bcc94" ON "sessions" ("expires_at");
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('tortoise_migrations',1);
INSERT INTO "sqlite_sequence" VALUES('users',2);
INSERT INTO "sqlite_sequence" VALUES('sessions',1);
INSERT INTO "sqlite_sequence" VALUES('api_keys',2);
INSERT INTO "sqlite_sequence" VALUES('api_key_usage_days',1);
COMMIT;

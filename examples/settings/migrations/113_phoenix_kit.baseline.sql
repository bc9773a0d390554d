-- PhoenixKit settings as of V113: the whole schema for an empty database.
-- Existing PhoenixKit databases are stamped '113' on the phoenix_kit table
-- and start from V114.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- UUIDv7 (RFC 9562): 48-bit Unix time in milliseconds, version 7, the RFC
-- variant, random rest. Built from a random v4 UUID: the timestamp replaces
-- the first six bytes, and setting bits 52 and 53 turns version 4 into 7.
CREATE FUNCTION uuid_generate_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;

-- The marker table whose comment records the schema version.
CREATE TABLE phoenix_kit (
    id          bigserial PRIMARY KEY,
    migrated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE phoenix_kit_settings (
    uuid         uuid PRIMARY KEY DEFAULT uuid_generate_v7(),
    key          varchar(255) NOT NULL UNIQUE,
    value        varchar(255),
    value_json   jsonb,
    module       varchar(255),
    date_added   timestamptz DEFAULT now(),
    date_updated timestamptz DEFAULT now()
);

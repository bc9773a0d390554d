-- V114 down, best-effort: rebuild integration:<provider>:<name> keys. Where
-- several rows share (provider, name), the first by date_added then uuid
-- keeps the plain key and every other gets '-' and characters 25-32 of its
-- uuid text: the random part of a UUIDv7, never the timestamp prefix, so
-- rows created in the same millisecond still differ. Refuses (listing the
-- rows, changing nothing) a row without a provider, a key over 255
-- characters, or a key that collides with another.
CREATE TEMPORARY TABLE ladder_v114_down ON COMMIT DROP AS
SELECT uuid,
       'integration:' || (value_json ->> 'provider') || ':' || COALESCE(NULLIF(value_json ->> 'name', ''), 'default')
       || CASE WHEN row_number() OVER (PARTITION BY value_json ->> 'provider', COALESCE(NULLIF(value_json ->> 'name', ''), 'default')
                                       ORDER BY date_added NULLS LAST, uuid) = 1
               THEN '' ELSE '-' || substring(uuid::text FROM 25 FOR 8) END AS new_key,
       value_json ->> 'provider' AS provider
  FROM phoenix_kit_settings
 WHERE module = 'integrations' AND key = uuid::text;

DO $$
DECLARE
    offenders text;
BEGIN
    SELECT string_agg(d.uuid::text, ', ' ORDER BY d.uuid) INTO offenders
      FROM ladder_v114_down d WHERE COALESCE(d.provider, '') = '';
    IF offenders IS NOT NULL THEN
        RAISE EXCEPTION 'V114 down: integration rows without a provider in value_json: %', offenders;
    END IF;

    SELECT string_agg(format('%s (key %L, %s characters)', d.uuid, left(d.new_key, 40) || '...', length(d.new_key)),
                      ', ' ORDER BY d.uuid) INTO offenders
      FROM ladder_v114_down d WHERE length(d.new_key) > 255;
    IF offenders IS NOT NULL THEN
        RAISE EXCEPTION 'V114 down: rebuilt keys longer than 255 characters: %', offenders;
    END IF;

    SELECT string_agg(format('%s (key %L)', d.uuid, d.new_key), ', ' ORDER BY d.new_key, d.uuid) INTO offenders
      FROM ladder_v114_down d
     WHERE EXISTS (SELECT 1 FROM ladder_v114_down o WHERE o.new_key = d.new_key AND o.uuid <> d.uuid)
        OR EXISTS (SELECT 1 FROM phoenix_kit_settings s
                    WHERE s.key = d.new_key AND NOT EXISTS (SELECT 1 FROM ladder_v114_down r WHERE r.uuid = s.uuid));
    IF offenders IS NOT NULL THEN
        RAISE EXCEPTION 'V114 down: rebuilt keys collide with other keys: %', offenders;
    END IF;
END
$$;

UPDATE phoenix_kit_settings AS s
   SET key = d.new_key
  FROM ladder_v114_down AS d
 WHERE s.uuid = d.uuid;

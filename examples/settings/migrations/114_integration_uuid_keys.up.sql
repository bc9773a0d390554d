-- V114: integration rows are keyed by their own uuid instead of
-- integration:<provider>:<name>, so names are free text and need not be
-- unique. Provider and name move into value_json (existing values win),
-- module becomes 'integrations'. Rows that are not integrations are not
-- touched. ladder runs this and the '114' stamp in one transaction.

-- Refuse, listing every offending row, what the rewrite would corrupt.
DO $$
DECLARE
    offenders text;
BEGIN
    SELECT string_agg(format('%s (key %L)', uuid, key), ', ' ORDER BY key, uuid) INTO offenders
      FROM phoenix_kit_settings
     WHERE key LIKE 'integration:%' AND split_part(key, ':', 2) = '';
    IF offenders IS NOT NULL THEN
        RAISE EXCEPTION 'V114: integration keys without a provider: %', offenders
            USING HINT = 'give each row a provider (integration:<provider>:<name>) and run the migration again';
    END IF;

    SELECT string_agg(format('%s (key %L, value_json is %s)', uuid, key, jsonb_typeof(value_json)), ', '
                      ORDER BY key, uuid) INTO offenders
      FROM phoenix_kit_settings
     WHERE key LIKE 'integration:%' AND value_json IS NOT NULL AND jsonb_typeof(value_json) <> 'object';
    IF offenders IS NOT NULL THEN
        RAISE EXCEPTION 'V114: integration rows whose value_json is not a JSON object: %', offenders
            USING HINT = 'provider and name cannot be stored in it; fix value_json and run the migration again';
    END IF;
END
$$;

-- integration:<provider>            legacy V0 shape: name 'default'
-- integration:<provider>:<name>     the name may itself hold ':'
UPDATE phoenix_kit_settings AS s
   SET value_json = COALESCE(s.value_json, '{}'::jsonb)
                    || CASE WHEN COALESCE(s.value_json ->> 'provider', '') = ''
                            THEN jsonb_build_object('provider', k.provider) ELSE '{}'::jsonb END
                    || CASE WHEN COALESCE(s.value_json ->> 'name', '') = ''
                            THEN jsonb_build_object('name', k.name) ELSE '{}'::jsonb END,
       module = 'integrations',
       key = s.uuid::text
  FROM (SELECT uuid,
               split_part(key, ':', 2) AS provider,
               COALESCE(NULLIF(substring(key FROM '^integration:[^:]*:(.*)$'), ''), 'default') AS name
          FROM phoenix_kit_settings
         WHERE key LIKE 'integration:%') AS k
 WHERE s.uuid = k.uuid;

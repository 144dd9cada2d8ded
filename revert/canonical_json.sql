-- Revert teams_obs:canonical_json from pg

BEGIN;

DROP FUNCTION teams_obs.canonical_json(json);
DROP FUNCTION teams_obs._jcs_screen(json);
DROP FUNCTION teams_obs._jcs_first_duplicate(integer[], text[], text[]);
DROP FUNCTION teams_obs._jcs_path_step(text);
DROP FUNCTION teams_obs._jcs_string_problem(text);
DROP FUNCTION teams_obs._jcs_kept_every_member(text, text);
DROP FUNCTION teams_obs._jcs_render(jsonb);
DROP FUNCTION teams_obs._jcs_number(text);
DROP FUNCTION teams_obs._jcs_format_number(text);
DROP FUNCTION teams_obs._jcs_large_digits(double precision);
DROP FUNCTION teams_obs._jcs_sort_key(text);

COMMIT;

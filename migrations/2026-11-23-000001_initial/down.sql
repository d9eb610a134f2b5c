DROP FUNCTION IF EXISTS npws_force_overview();
DROP TABLE IF EXISTS rate_limits, signing_keys, audit_log, shifts, roster_uploads, sync_records,
    sync_batches, refresh_tokens, devices, enrolment_codes, staff_links, persons, team_members,
    team_supervisors, teams, accounts, platform_accounts, forces;
DROP FUNCTION IF EXISTS current_force();

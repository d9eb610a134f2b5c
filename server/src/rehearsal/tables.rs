//! The columns the rehearsal's bulk load writes, per table, for diesel's
//! `COPY ... FROM STDIN` (`diesel::copy_from`). Each `table!` lists only the
//! columns written, so the COPY names its columns explicitly: columns with
//! defaults the load leaves alone (and partitioned parents) keep working.
//! The schema itself is the migrations'; these are not a second copy of it.

diesel::table! {
    forces (id) { id -> Uuid, slug -> Text, name -> Text, time_zone -> Text, created_at -> Timestamptz, }
}
diesel::table! {
    accounts (force_id, id) { force_id -> Uuid, id -> Uuid, username -> Text, password_hash -> Text, role -> Text, created_at -> Timestamptz, }
}
diesel::table! {
    teams (force_id, id) { force_id -> Uuid, id -> Uuid, name -> Text, command -> Text, policing_function -> Text, created_at -> Timestamptz, }
}
diesel::table! {
    team_supervisors (force_id, team_id, account_id) { force_id -> Uuid, team_id -> Uuid, account_id -> Uuid, }
}
diesel::table! {
    team_members (force_id, team_id, staff_number) { force_id -> Uuid, team_id -> Uuid, staff_number -> Text, }
}
diesel::table! {
    enrolment_codes (force_id, code_hash) { force_id -> Uuid, code_hash -> Text, staff_number -> Text, expires_at -> Timestamptz, used_at -> Timestamptz, created_at -> Timestamptz, }
}
diesel::table! {
    persons (force_id, id) { force_id -> Uuid, id -> Uuid, consent -> Text, consent_updated_at -> Timestamptz, created_at -> Timestamptz, }
}
diesel::table! {
    staff_links (force_id, staff_number) { force_id -> Uuid, staff_number -> Text, person_id -> Uuid, }
}
diesel::table! {
    devices (force_id, id) { force_id -> Uuid, id -> Uuid, person_id -> Uuid, sync_cursor -> BigInt, created_at -> Timestamptz, }
}
diesel::table! {
    roster_uploads (force_id, id) { force_id -> Uuid, id -> Uuid, uploaded_by -> Uuid, format -> Text, shifts_stored -> Integer, lines_rejected -> Integer, created_at -> Timestamptz, }
}
diesel::table! {
    shifts (force_id, staff_number, start_at) { force_id -> Uuid, staff_number -> Text, start_at -> Timestamptz, end_at -> Timestamptz, upload_id -> Uuid, }
}
diesel::table! {
    rest_days (force_id, staff_number, local_date) { force_id -> Uuid, staff_number -> Text, local_date -> Date, upload_id -> Uuid, }
}
diesel::table! {
    absence_days (force_id, staff_number, local_date) { force_id -> Uuid, staff_number -> Text, local_date -> Date, category -> Text, upload_id -> Uuid, }
}
diesel::table! {
    roster_changes (force_id, staff_number, kind, duty_start, changed_at) { force_id -> Uuid, staff_number -> Text, kind -> Text, duty_start -> Timestamptz, changed_at -> Timestamptz, upload_id -> Uuid, }
}
diesel::table! {
    sync_records (force_id, person_id, local_date, kind, discriminator) { force_id -> Uuid, person_id -> Uuid, local_date -> Date, kind -> Text, discriminator -> Text, payload -> Jsonb, device_id -> Uuid, source_sequence -> BigInt, updated_at -> Timestamptz, }
}
diesel::table! {
    sync_batches (force_id, device_id, idempotency_key) { force_id -> Uuid, device_id -> Uuid, idempotency_key -> Text, sequence -> BigInt, ack -> Jsonb, received_at -> Timestamptz, }
}
diesel::table! {
    audit_log (actor_id) { force_id -> Nullable<Uuid>, actor_role -> Text, actor_id -> Uuid, action -> Text, target -> Text, at -> Timestamptz, }
}

DROP TABLE IF EXISTS peer_callback_outcomes, peer_callbacks, support_services, peer_supporters;
DELETE FROM accounts WHERE role IN ('peer_supporter', 'peer_support_coordinator');
ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check
    CHECK (role IN ('force_admin', 'supervisor', 'frm_lead'));

DELETE FROM roster_uploads WHERE format = 'draft';
ALTER TABLE roster_uploads DROP CONSTRAINT roster_uploads_format_check;
ALTER TABLE roster_uploads ADD CONSTRAINT roster_uploads_format_check
    CHECK (format IN ('csv', 'ical'));
DROP TABLE roster_draft_versions;
DROP TABLE roster_drafts;

//! The data lifecycle: monthly partitions of the tables that grow with use
//! (`sync_records` by local date, `sync_batches` by when applied,
//! `audit_log` by when), made ahead of need, and retention per force that
//! drops whole months and deletes what a shorter period asks for in the
//! months kept. Everything here runs as the tables' owner: the serving role
//! can neither make nor drop a partition, nor delete an audit entry.
//! The migration `2026-12-04-000100_partitions_retention` explains the
//! layout; docs/operations.md ("Partitions and retention") the operation and
//! docs/privacy.md ("Retention") the periods.

pub mod scheduler;
pub mod service;
pub mod store;

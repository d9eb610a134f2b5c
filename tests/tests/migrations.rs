//! Migration folders must have distinct versions: diesel keys a migration by
//! the folder name's leading version, so two folders with the same version
//! would leave one of them unapplied (this happened when two branches each
//! added `2026-11-23-000100_*`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use e2e_tests::workspace_root;

#[test]
fn migration_versions_are_unique_and_each_has_up_and_down() {
    let mut versions: BTreeMap<String, String> = BTreeMap::new();
    for entry in std::fs::read_dir(workspace_root().join("migrations")).unwrap() {
        let entry = entry.unwrap();
        if !entry.file_type().unwrap().is_dir() {
            continue;
        }
        let name = entry.file_name().into_string().unwrap();
        let version = name.split('_').next().unwrap().to_string();
        if let Some(other) = versions.insert(version.clone(), name.clone()) {
            panic!("migrations {other} and {name} share version {version}");
        }
        for file in ["up.sql", "down.sql"] {
            assert!(entry.path().join(file).exists(), "{name} has no {file}");
        }
    }
    assert!(versions.len() >= 3);
}

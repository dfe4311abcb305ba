//! The committed catalog (`core/catalog.json`) is what the code describes; regenerate it with
//! `UPDATE_CATALOG=1 cargo test -p yunxiao-appstack --test catalog`.

use std::path::PathBuf;

use yunxiao_appstack::catalog::{OPERATIONS, catalog_json};

#[test]
fn the_committed_catalog_matches_the_code() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("catalog.json");
    let generated = serde_json::to_string_pretty(&catalog_json()).expect("serializable") + "\n";
    if std::env::var_os("UPDATE_CATALOG").is_some() {
        std::fs::write(&path, &generated).expect("writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "core/catalog.json is stale: run UPDATE_CATALOG=1 cargo test -p yunxiao-appstack --test catalog"
    );
}

#[test]
fn every_operation_is_described_once_and_well_formed() {
    let mut names: Vec<&str> = OPERATIONS.iter().map(|e| e.info.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), OPERATIONS.len(), "unique names");
    assert_eq!(OPERATIONS.len(), 16);
    for entry in OPERATIONS {
        let path = entry.info.path;
        assert!(path.starts_with("/apps/{appName}"), "{path}");
        assert_eq!(
            path.matches('{').count(),
            path.matches('}').count(),
            "{path}"
        );
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            assert!(segment.contains('}'), "{path}");
        }
        let mutating = entry.info.effect != yunxiao_appstack::Effect::ReadOnly;
        assert_eq!(
            mutating,
            !entry.info.may_have_effect.is_empty(),
            "{}",
            entry.info.name
        );
    }
}

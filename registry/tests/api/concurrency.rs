//! Concurrent registrations: one id for one schema, gap-free versions for many.

use std::collections::BTreeSet;

use serde_json::json;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_schema_get_one_id_and_one_version() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let app = app.clone();
        tasks.push(tokio::spawn(
            async move { app.register("same", ORDER_V1).await },
        ));
    }
    let mut ids = BTreeSet::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert!(status.is_success(), "{body}");
        ids.insert((
            body["id"].as_u64().unwrap(),
            body["version"].as_u64().unwrap(),
        ));
    }
    assert_eq!(ids.into_iter().collect::<Vec<_>>(), vec![(1, 1)]);
    let (_, versions) = app.get("/subjects/same/versions").await;
    assert_eq!(versions, json!([1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_different_schemas_get_gap_free_versions_and_distinct_ids() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    // Each schema drops the others' fields: only NONE accepts every order of arrival.
    app.put("/config/many", json!({"compatibility": "NONE"}))
        .await;
    let n = 16u64;
    let mut tasks = Vec::new();
    for i in 0..n {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let schema = format!(
                "syntax = \"proto3\"; message M {{ int32 a = 1; int32 f{i} = {}; }}",
                i + 2
            );
            app.register_ok("many", &schema).await
        }));
    }
    let mut ids = BTreeSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(ids.len() as u64, n);
    let (_, versions) = app.get("/subjects/many/versions").await;
    assert_eq!(versions, json!((1..=n).collect::<Vec<_>>()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checked_registrations_racing_on_one_subject_all_land() {
    // Distinct schemas that are compatible in any order (they differ in a file option the
    // CSR rules do not check), under the default BACKWARD level: every registration races,
    // is re-checked against the history it extends, and lands.
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let n = 16u64;
    let mut tasks = Vec::new();
    for i in 0..n {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let schema = format!(
                "syntax = \"proto3\"; option java_package = \"p{i}\"; message M {{ int32 a = 1; }}"
            );
            app.register_ok("raced", &schema).await
        }));
    }
    let mut ids = BTreeSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(ids.len() as u64, n);
    let (_, versions) = app.get("/subjects/raced/versions").await;
    assert_eq!(versions, json!((1..=n).collect::<Vec<_>>()));
}

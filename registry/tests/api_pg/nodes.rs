//! Two registry nodes on one database: what one node acknowledges, the other answers at
//! once, even while the change notifications that drop its caches are not arriving.

use std::sync::Arc;

use reqwest::StatusCode;

use crate::helpers::*;

/// Closes every node's change-listening connection from the database side. Each node
/// reconnects by itself after a pause; until then no notification reaches it.
fn cut_listeners(url: &str) {
    let cut = crate::pg::TempPostgres::shared().psql(
        url,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE query LIKE 'LISTEN%'",
    );
    assert_ne!(cut.trim(), "0", "no listening connection found");
}

/// A permanent delete through node A: node B, which served the id from its cache a moment
/// before, answers 404 right after A's 200, without waiting for a notification.
#[tokio::test]
async fn a_delete_on_one_node_is_seen_at_once_on_another() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let a = TestApp::spawn_in(dir.clone()).await;
    let b = TestApp::spawn_in(dir.clone()).await;
    let url = database_of(dir.path());
    let id = a.register_ok("orders-value", ORDER_V1).await;
    let other = a.register_ok("finds-value", ORDER_V2).await;
    let path = format!("/schemas/ids/{id}");

    for round in 0..3 {
        // Before round 2 the id is gone (and "not found" is never cached).
        let before = if round < 2 { 200 } else { 404 };
        let (status, body) = b.get(&path).await;
        assert_eq!(status.as_u16(), before, "round {round}: {body}");
        cut_listeners(&url);
        // The node notices the cut (and drops its caches); serve the id again so B's
        // cache holds it while no notification can arrive.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let (status, _) = b.get(&path).await;
        assert_eq!(status.as_u16(), before);
        let (status, _) = b.get(&format!("/schemas/ids/{other}")).await;
        assert_eq!(status, StatusCode::OK);

        match round {
            // Soft delete: the id still resolves.
            0 => {
                let (status, body) = a.delete("/subjects/orders-value").await;
                assert_eq!(status, StatusCode::OK, "{body}");
                let (status, body) = b.get(&path).await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
            // Permanent delete of every carrier: the id is gone on B at once.
            1 => {
                let (status, body) = a.delete("/subjects/orders-value?permanent=true").await;
                assert_eq!(status, StatusCode::OK, "{body}");
                let (status, body) = b.get(&path).await;
                assert_error(status, &body, 404, 40403);
                // Other ids are not affected.
                let (status, _) = b.get(&format!("/schemas/ids/{other}")).await;
                assert_eq!(status, StatusCode::OK);
            }
            // Registered again through A: the id is back on B at once.
            _ => {
                assert_eq!(a.register_ok("orders-value", ORDER_V1).await, id);
                let (status, body) = b.get(&path).await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
        }
        // Let both listeners reconnect before the next round.
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    }
}

/// While both listeners are connected (each node holding its lease, serving ids without a
/// subject from memory), a permanent delete through node A is answered 404 by node B right
/// after A's 200: A answers only once B has seen the removal.
#[tokio::test]
async fn a_delete_is_seen_at_once_by_a_node_serving_from_its_lease() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let a = TestApp::spawn_in(dir.clone()).await;
    let b = TestApp::spawn_in(dir.clone()).await;
    // Both listeners connect and renew their leases well within this.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for round in 0..5 {
        let subject = format!("lease-{round}-value");
        let id = a.register_ok(&subject, ORDER_V1).await;
        let path = format!("/schemas/ids/{id}");
        for _ in 0..3 {
            let (status, body) = b.get(&path).await;
            assert_eq!(status, StatusCode::OK, "round {round}: {body}");
        }
        let (status, body) = a.delete(&format!("/subjects/{subject}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = b.get(&path).await;
        assert_eq!(status, StatusCode::OK, "a soft delete keeps the id: {body}");
        let (status, body) = a
            .delete(&format!("/subjects/{subject}?permanent=true"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = b.get(&path).await;
        assert_error(status, &body, 404, 40403);
    }
}

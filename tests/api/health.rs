//! `/health` reports both stores.

use serde_json::Value;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn health_reports_database_and_state_store() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["status"], "ok");
    assert_eq!(body["state"]["status"], "ok");
    let expected_db = if app.db.is_postgres() { "postgres" } else { "sqlite" };
    assert_eq!(body["database"]["backend"], expected_db);
    let expected_state = if crate::helpers::test_redis_url().is_some() { "redis" } else { "memory" };
    assert_eq!(body["state"]["backend"], expected_state);
    let live = app.http.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
}

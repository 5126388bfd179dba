//! Outside services on loopback: an SMS gateway and an identity registry that answer
//! the way Vhod's HTTP adapters expect real ones to.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// The bearer token the fake gateway requires.
pub const SMS_TOKEN: &str = "Bearer sms-test-token";

#[derive(Default)]
struct SmsState {
    messages: Mutex<Vec<(String, String)>>,
    failing: AtomicBool,
}

/// A fake SMS gateway: `POST /send` with `{"to", "text", "sender"}` and a bearer token.
pub struct SmsFake {
    /// Its send URL.
    pub url: String,
    state: Arc<SmsState>,
}

async fn sms_send(req: HttpRequest, body: web::Json<Value>, state: web::Data<Arc<SmsState>>) -> HttpResponse {
    if req.headers().get("authorization").and_then(|v| v.to_str().ok()) != Some(SMS_TOKEN) {
        return HttpResponse::Unauthorized().finish();
    }
    if state.failing.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().finish();
    }
    let to = body["to"].as_str().unwrap_or_default().to_owned();
    let text = body["text"].as_str().unwrap_or_default().to_owned();
    state.messages.lock().unwrap().push((to, text));
    HttpResponse::Ok().json(json!({ "status": "queued" }))
}

impl SmsFake {
    /// Starts the gateway on a free port.
    pub fn start() -> Self {
        let state = Arc::new(SmsState::default());
        let data = web::Data::new(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server =
            HttpServer::new(move || App::new().app_data(data.clone()).route("/send", web::post().to(sms_send)))
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
        actix_web::rt::spawn(server);
        Self { url: format!("http://127.0.0.1:{port}/send"), state }
    }

    /// Makes the gateway answer 503 (or recover).
    pub fn fail(&self, failing: bool) {
        self.state.failing.store(failing, Ordering::SeqCst);
    }

    /// Every text sent to `phone` (E.164), oldest first.
    pub fn texts_to(&self, phone: &str) -> Vec<String> {
        self.state.messages.lock().unwrap().iter().filter(|(to, _)| to == phone).map(|(_, t)| t.clone()).collect()
    }

    /// The code in the newest message to `phone`.
    pub fn code_for(&self, phone: &str) -> String {
        let text = self.texts_to(phone).pop().unwrap_or_else(|| panic!("no SMS to {phone}"));
        code_in(&text).unwrap_or_else(|| panic!("no code in {text:?}"))
    }
}

/// The 6-digit code in a text, if any.
pub fn code_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).map(str::to_owned)
}

struct RegistryState {
    answer: Mutex<Value>,
    delay_ms: AtomicU64,
    seen: Mutex<Vec<Value>>,
}

/// A fake registry: `POST /check` answers a configured result after a delay.
pub struct RegistryFake {
    /// Its URL.
    pub url: String,
    state: Arc<RegistryState>,
}

async fn registry_check(body: web::Json<Value>, state: web::Data<Arc<RegistryState>>) -> HttpResponse {
    state.seen.lock().unwrap().push(body.into_inner());
    tokio::time::sleep(Duration::from_millis(state.delay_ms.load(Ordering::SeqCst))).await;
    let answer = state.answer.lock().unwrap().clone();
    HttpResponse::Ok().json(answer)
}

impl RegistryFake {
    /// Starts the registry answering `answer` after `delay_ms`.
    pub fn start(answer: Value, delay_ms: u64) -> Self {
        let state = Arc::new(RegistryState {
            answer: Mutex::new(answer),
            delay_ms: AtomicU64::new(delay_ms),
            seen: Mutex::new(Vec::new()),
        });
        let data = web::Data::new(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server =
            HttpServer::new(move || App::new().app_data(data.clone()).route("/check", web::post().to(registry_check)))
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
        actix_web::rt::spawn(server);
        Self { url: format!("http://127.0.0.1:{port}/check"), state }
    }

    /// Changes the answer.
    pub fn answer(&self, answer: Value) {
        *self.state.answer.lock().unwrap() = answer;
    }

    /// The records it was asked about.
    pub fn seen(&self) -> Vec<Value> {
        self.state.seen.lock().unwrap().clone()
    }
}

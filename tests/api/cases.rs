//! Assisted channels, continued: post-office confirmation, partner applications with
//! scans, and support requests with tiers.

use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::assisted::{
    Desk, PASSWORD, activate, activation_code_in, assisted_app, citizen_link, desk, identity, pairs, printed_code,
    snils, staff_events,
};
use crate::fakes::SmsFake;
use crate::flow::{browser, hidden, web_client};
use crate::helpers::TestApp;

/// A standard account with a password, signed in in the returned browser.
async fn standard_citizen(
    app: &TestApp,
    sms: &SmsFake,
    cc: &Desk,
    seed: u32,
    phone: &str,
) -> (String, reqwest::Client) {
    let mut form = identity("Морозова", &snils(seed), &format!("46{:02} {:06}", seed % 100, seed));
    form.extend(pairs(&[("channel", "phone"), ("phone", phone), ("delivery", "sms"), ("reason", "звонок")]));
    let (status, html, _) = cc.post(app, "/staff/citizens", &form).await;
    assert_eq!(status, 201, "{html}");
    let id = citizen_link(&html);
    let code = activation_code_in(&sms.texts_to(phone).pop().unwrap());
    assert_eq!(activate(app, phone, &code).await.0, 200);
    vhod::accounts::raise_level(
        &app.services,
        &id,
        vhod::domain::VerificationMethod::Registry,
        "registry",
        &vhod::accounts::REGISTRY_CLAIMS,
        json!([]),
    )
    .await
    .unwrap();
    let b = browser();
    let client = web_client(app, &format!("app{seed}"), "app.example", |s| s.first_party = true).await;
    crate::flow::code_flow_tokens(app, &b, &client, &["openid"], (phone, PASSWORD)).await;
    (id, b)
}

async fn account_csrf(app: &TestApp, b: &reqwest::Client) -> (String, String) {
    let html = b.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    (hidden(&html, "csrf"), html)
}

#[actix_web::test]
async fn a_post_office_confirms_a_printed_code_and_the_citizen_enters_it() {
    let sms = SmsFake::start();
    let app = assisted_app(&sms).await;
    let cc = desk(&app, &sms, "callc", &["callcenter_operator"], "+79990000051").await;
    let clerk = desk(&app, &sms, "clerk", &["post_operator"], "+79990000052").await;
    let (id, b) = standard_citizen(&app, &sms, &cc, 51, "+79161230051").await;
    let (csrf, html) = account_csrf(&app, &b).await;
    assert!(html.contains("action=\"/account/post\""), "standard accounts may ask for a post code");
    let asked = b.post(app.url("/account/post")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(asked.status(), 303);
    let print = b.get(app.url("/account/post")).send().await.unwrap();
    assert_eq!(print.status(), 200);
    let print = print.text().await.unwrap();
    let (code, reference) = printed_code(&print);
    assert!(print.contains("Морозова"), "{print}");
    let pdf = b.get(app.url("/account/post.pdf")).send().await.unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-") && pdf.len() > 5000, "a PDF with the embedded font");
    // Before the post office saw it, the code does not confirm.
    let (csrf, _) = account_csrf(&app, &b).await;
    let early = b
        .post(app.url("/account/post/confirm"))
        .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 409);
    // The clerk must see the document the code was issued for.
    let wrong = pairs(&[("reference", &reference), ("document", "9999 999999"), ("reason", "бланк и паспорт")]);
    let (status, html, _) = clerk.post(&app, "/staff/post", &wrong).await;
    assert_eq!(status, 400);
    assert!(html.contains("data-field=\"document\""), "{html}");
    let right =
        pairs(&[("reference", &reference.to_lowercase()), ("document", "4651 000051"), ("reason", "бланк и паспорт")]);
    let (status, html, _) = clerk.post(&app, "/staff/post", &right).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(clerk.post(&app, "/staff/post", &right).await.0, 400, "presented once");
    let (csrf, html) = account_csrf(&app, &b).await;
    assert!(html.contains("id=\"post-reference\""));
    let wrong = b
        .post(app.url("/account/post/confirm"))
        .form(&[("csrf", csrf.as_str()), ("code", "AAAA-AAAA-AAAA")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let done = b
        .post(app.url("/account/post/confirm"))
        .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let id2 = id.clone();
    let user = app.services.db.run(move |c| vhod::db::models::user::find_by_id(c, &id2)).await.unwrap().unwrap();
    assert_eq!(user.account_level, "confirmed");
    let again = b
        .post(app.url("/account/post/confirm"))
        .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409, "single use: the account is confirmed now");
    let history =
        app.services.db.run(move |c| vhod::db::models::identity_verification::for_user(c, &id)).await.unwrap();
    assert!(history.iter().any(|h| h.level == "confirmed" && h.verifier == "staff:clerk"), "confirmed by the clerk");
    assert!(
        staff_events(&app, "present_post_code").await.iter().any(|e| e.detail.contains("\"document_matches\":true"))
    );
}

fn scan(name: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes).file_name(name.to_owned()).mime_str("application/octet-stream").unwrap()
}

async fn submit(app: &TestApp, partner: &Desk, seed: u32, files: Vec<Part>) -> (reqwest::StatusCode, String, String) {
    let mut form = Form::new().text("csrf", partner.csrf.clone()).text("phone", "");
    for (k, v) in identity("Соколова", &snils(seed), &format!("47{:02} {:06}", seed % 100, seed)) {
        form = form.text(k, v);
    }
    for file in files {
        form = form.part("files", file);
    }
    let response = partner.b.post(app.url("/staff/applications")).multipart(form).send().await.unwrap();
    let status = response.status();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, response.text().await.unwrap(), location)
}

#[actix_web::test]
async fn partners_submit_applications_with_checked_scans_and_operators_decide() {
    let sms = SmsFake::start();
    let app = assisted_app(&sms).await;
    let ngo = desk(&app, &sms, "ngo", &["partner"], "+79990000061").await;
    let other = desk(&app, &sms, "ngo2", &["partner"], "+79990000062").await;
    let mfc = desk(&app, &sms, "mfc", &["mfc_operator"], "+79990000063").await;
    let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec();
    let png = [&[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[0u8; 64][..]].concat();
    // Type is sniffed: a GIF or text with a .pdf name is refused; so is a file over 5 MB.
    let gif = b"GIF89a....".to_vec();
    let (status, html, _) = submit(&app, &ngo, 61, vec![scan("photo.gif", gif)]).await;
    assert_eq!(status, 400);
    assert!(html.contains("photo.gif: принимаются только файлы PDF, JPEG и PNG"), "{html}");
    let (status, html, _) =
        submit(&app, &ngo, 61, vec![scan("passport.pdf", b"<html>not a pdf</html>".to_vec())]).await;
    assert_eq!(status, 400, "{html}");
    let mut big = b"%PDF-".to_vec();
    big.resize(5 * 1024 * 1024 + 10, b'x');
    let (status, html, _) = submit(&app, &ngo, 61, vec![scan("big.pdf", big)]).await;
    assert_eq!(status, 400);
    assert!(html.contains("больше 5 МБ"), "{html}");
    let (status, _, _) = submit(&app, &ngo, 61, (0..6).map(|_| scan("a.pdf", pdf.clone())).collect()).await;
    assert_eq!(status, 400, "at most five files");
    // Not multipart at all, or a broken body: a readable refusal, never a 500.
    let plain = ngo.b.post(app.url("/staff/applications")).form(&[("csrf", ngo.csrf.as_str())]).send().await.unwrap();
    assert_eq!(plain.status(), 400);
    let broken = ngo
        .b
        .post(app.url("/staff/applications"))
        .header("content-type", "multipart/form-data; boundary=xyz")
        .body("--xyz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.pdf\"\r\n\r\n%PDF-")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    // A good application.
    let (status, _, location) =
        submit(&app, &ngo, 61, vec![scan("passport.pdf", pdf.clone()), scan("../../snils.png", png)]).await;
    assert_eq!(status, 303);
    let id = location.rsplit('/').next().unwrap().to_owned();
    let (status, html) = ngo.get(&app, &location).await;
    assert_eq!(status, 200);
    assert!(html.contains("application/pdf") && html.contains("image/png") && html.contains(">snils.png<"), "{html}");
    let file_link = {
        let marker = format!("/staff/applications/{id}/files/");
        let at = html.find(&marker).unwrap();
        html[at..at + html[at..].find('"').unwrap()].to_owned()
    };
    let download = mfc.b.get(app.url(&file_link)).send().await.unwrap();
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert!(download.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(download.bytes().await.unwrap().as_ref(), pdf.as_slice());
    // Another partner sees neither the application nor its files; a partner cannot decide.
    assert_eq!(other.get(&app, &location).await.0, 404);
    assert_eq!(other.get(&app, &file_link).await.0, 404);
    let (_, list) = other.get(&app, "/staff/applications").await;
    assert!(!list.contains(&id));
    assert_eq!(
        ngo.post(
            &app,
            &format!("/staff/applications/{id}/decide"),
            &pairs(&[("decision", "approve"), ("reason", "x")])
        )
        .await
        .0,
        403
    );
    // The operator approves: an account and an activation code.
    let (status, html, _) = mfc
        .post(
            &app,
            &format!("/staff/applications/{id}/decide"),
            &pairs(&[("decision", "approve"), ("reason", "документы в порядке")]),
        )
        .await;
    assert_eq!(status, 200, "{html}");
    let (code, _) = printed_code(&html);
    assert_eq!(activate(&app, &snils(61), &code).await.0, 200);
    assert_eq!(
        mfc.post(&app, &format!("/staff/applications/{id}/decide"), &pairs(&[("decision", "reject"), ("reason", "x")]))
            .await
            .0,
        409
    );
    // A rejection: the partner sees the reason; the history keeps every step.
    let (_, _, second) = submit(&app, &ngo, 62, vec![scan("p.pdf", pdf.clone())]).await;
    let second_id = second.rsplit('/').next().unwrap().to_owned();
    let (status, _, _) = mfc
        .post(
            &app,
            &format!("/staff/applications/{second_id}/decide"),
            &pairs(&[("decision", "reject"), ("reason", "скан паспорта нечитаем")]),
        )
        .await;
    assert_eq!(status, 200);
    let (_, html) = ngo.get(&app, &second).await;
    assert!(
        html.contains("скан паспорта нечитаем") && html.contains("submitted") && html.contains("rejected"),
        "{html}"
    );
    // Lists filter by state and search by name.
    let (_, html) = mfc.get(&app, "/staff/applications?status=rejected").await;
    assert!(html.contains(&second_id) && !html.contains(&format!("/staff/applications/{id}\"")), "{html}");
    let (_, html) = mfc.get(&app, &format!("/staff/applications?q={}", snils(61))).await;
    assert!(html.contains(&id) && !html.contains(&second_id));
    let decided = staff_events(&app, "decide_application").await;
    assert_eq!(decided.len(), 2);
    assert!(decided.iter().all(|e| e.actor.as_deref() == Some("staff:mfc")));
    assert_eq!(staff_events(&app, "submit_application").await.len(), 2);
}

#[actix_web::test]
async fn support_requests_move_through_three_tiers_with_timings_and_lists_page() {
    let sms = SmsFake::start();
    let app = assisted_app(&sms).await;
    let support = desk(&app, &sms, "help", &["support"], "+79990000071").await;
    let auditor = desk(&app, &sms, "audit", &["auditor"], "+79990000072").await;
    let mfc = desk(&app, &sms, "mfc", &["mfc_operator"], "+79990000073").await;
    // A citizen who cannot sign in opens a request from the sign-in side.
    let b = browser();
    let page = b.get(app.url("/support")).send().await.unwrap().text().await.unwrap();
    let opened = b
        .post(app.url("/support"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("contact", "+79161230071"),
            ("description", "не приходит SMS"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 201);
    let (_, list) = support.get(&app, "/staff/support?q=SMS").await;
    let id = {
        let at = list.find("/staff/support/").unwrap() + "/staff/support/".len();
        list[at..at + list[at..].find('"').unwrap()].to_owned()
    };
    assert_ne!(id, "report");
    assert_eq!(mfc.post(&app, &format!("/staff/support/{id}/escalate"), &pairs(&[("reason", "x")])).await.0, 403);
    assert_eq!(auditor.post(&app, &format!("/staff/support/{id}/resolve"), &pairs(&[("reason", "x")])).await.0, 403);
    let (status, html, _) = support
        .post(&app, &format!("/staff/support/{id}/escalate"), &pairs(&[("reason", "нужна проверка шлюза")]))
        .await;
    assert_eq!(status, 200, "{html}");
    let (status, _, _) = support
        .post(&app, &format!("/staff/support/{id}/escalate"), &pairs(&[("reason", "сбой оператора связи")]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        support.post(&app, &format!("/staff/support/{id}/escalate"), &pairs(&[("reason", "x")])).await.0,
        409,
        "three tiers"
    );
    let (status, html, _) = support
        .post(&app, &format!("/staff/support/{id}/resolve"), &pairs(&[("reason", "выдан временный доступ")]))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("escalated_to_technical")
            && html.contains("escalated_to_escalation")
            && html.contains("resolved"),
        "{html}"
    );
    let (status, report) = auditor.get(&app, "/staff/support/report?lang=en").await;
    assert_eq!(status, 200);
    assert!(report.contains("3 — escalation") && report.contains("Mean time"), "{report}");
    // An operator opens requests for citizens; 25 of them page by 20.
    for n in 0..25 {
        let fields = pairs(&[("contact", &format!("+7916000{n:04}")), ("description", &format!("проблема {n}"))]);
        let (status, _, _) = mfc.post(&app, "/staff/support", &fields).await;
        assert_eq!(status, 303);
    }
    let (_, first) = support.get(&app, "/staff/support?status=open").await;
    assert!(first.contains("rel=\"next\"") && !first.contains("rel=\"prev\""));
    assert_eq!(first.matches("href=\"/staff/support/").count() - first.matches("/staff/support/report").count(), 20);
    let (_, second) = support.get(&app, "/staff/support?q=&status=open&page=2").await;
    assert!(second.contains("rel=\"prev\"") && !second.contains("rel=\"next\""));
    assert_eq!(second.matches("href=\"/staff/support/").count() - second.matches("/staff/support/report").count(), 5);
    let opened = staff_events(&app, "open_support_request").await;
    assert_eq!(opened.len(), 25);
    assert!(opened.iter().all(|e| e.actor.as_deref() == Some("staff:mfc")));
    let moved = staff_events(&app, "work_support_requests").await;
    assert_eq!(moved.len(), 3);
    assert!(moved.iter().all(|e| e.detail.contains(crate::assisted::OFFICE)));
}

#[actix_web::test]
async fn a_post_code_confirms_only_the_document_the_clerk_saw() {
    let sms = SmsFake::start();
    let app = assisted_app(&sms).await;
    let cc = desk(&app, &sms, "callc", &["callcenter_operator"], "+79990000056").await;
    let clerk = desk(&app, &sms, "clerk", &["post_operator"], "+79990000057").await;
    let (id, b) = standard_citizen(&app, &sms, &cc, 56, "+79161230056").await;
    let (csrf, _) = account_csrf(&app, &b).await;
    assert_eq!(b.post(app.url("/account/post")).form(&[("csrf", csrf.as_str())]).send().await.unwrap().status(), 303);
    let print = b.get(app.url("/account/post")).send().await.unwrap().text().await.unwrap();
    let (code, reference) = printed_code(&print);
    let fields = pairs(&[("reference", &reference), ("document", "4656 000056"), ("reason", "бланк и паспорт")]);
    assert_eq!(clerk.post(&app, "/staff/post", &fields).await.0, 200);
    // After the clerk saw passport 4656 000056 the citizen swaps in another passport and
    // gets back to standard: the code no longer confirms anything.
    let (csrf, _) = account_csrf(&app, &b).await;
    let mut form = vec![("csrf".to_owned(), csrf.clone())];
    form.extend(identity("Морозова", &snils(56), "4656 999999"));
    assert_eq!(b.post(app.url("/account/identity")).form(&form).send().await.unwrap().status(), 303);
    let pending = id.clone();
    crate::helpers::wait_until("the registry check ended", || {
        let (app, id) = (&app, pending.clone());
        async move {
            let user = app.services.db.run(move |c| vhod::db::models::user::find_by_id(c, &id)).await.unwrap().unwrap();
            user.registry_status.as_deref() != Some("pending")
        }
    })
    .await;
    vhod::accounts::raise_level(
        &app.services,
        &id,
        vhod::domain::VerificationMethod::Registry,
        "registry",
        &[],
        json!([]),
    )
    .await
    .unwrap();
    let refused = b
        .post(app.url("/account/post/confirm"))
        .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    let id2 = id.clone();
    let user = app.services.db.run(move |c| vhod::db::models::user::find_by_id(c, &id2)).await.unwrap().unwrap();
    assert_eq!(user.account_level, "standard", "not confirmed");
    let again = b
        .post(app.url("/account/post/confirm"))
        .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400, "the code was withdrawn");
}

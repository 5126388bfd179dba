//! What operators do with citizens' accounts: find them, register them at a service
//! centre (confirmed after a document check) or by phone (never confirmed), and
//! confirm existing accounts in person.

use serde_json::json;

use super::codes::{self, Issued};
use super::{Action, Page, Staff, StaffError, audit, invalid, reason};
use crate::accounts::assisted::{self, NewAccount};
use crate::accounts::{Identity, IdentityForm};
use crate::app::Services;
use crate::db::models::user::{self as user_db, UserRow};
use crate::domain::{Date, Phone};

/// The document an operator checked, as typed from it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DocumentCheck {
    /// `passport_ru` (the only type the check supports).
    #[serde(default)]
    pub document_type: String,
    /// Whether the citizen handed over a scan (never required).
    #[serde(default)]
    pub scan_provided: bool,
}

/// One page of accounts matching `q` (phone, SNILS, user name or family name).
pub async fn search(svc: &Services, staff: &Staff, q: &str, number: i64) -> Result<Page<UserRow>, StaffError> {
    staff.require(svc, Action::FindCitizens).await?;
    let q = q.trim().to_owned();
    if q.is_empty() {
        return Ok(Page::of(Vec::new(), number));
    }
    let (offset, limit) = Page::<UserRow>::window(number);
    let items = svc.db.run(move |conn| user_db::search(conn, &q, offset, limit)).await?;
    Ok(Page::of(items, number))
}

/// A citizen's account by id.
pub async fn card(svc: &Services, staff: &Staff, user_id: &str) -> Result<UserRow, StaffError> {
    staff.require(svc, Action::FindCitizens).await?;
    let id = user_id.to_owned();
    svc.db.run(move |conn| user_db::find_by_id(conn, &id)).await?.ok_or(StaffError::NotFound("account"))
}

fn phone(raw: &str, required: bool) -> Result<Option<Phone>, StaffError> {
    match raw.trim() {
        "" if required => Err(invalid("phone", "the citizen's phone number is required")),
        "" => Ok(None),
        raw => Phone::parse(raw).map(Some).map_err(|e| invalid("phone", e.0)),
    }
}

fn identity(form: &IdentityForm, check: &DocumentCheck) -> Result<Identity, StaffError> {
    if check.document_type != "passport_ru" {
        return Err(invalid("document_type", "only a Russian passport (passport_ru) can be checked here"));
    }
    Identity::parse(form, Date::today()).map_err(StaffError::Invalid)
}

fn evidence(staff: &Staff, identity: &Identity, check: &DocumentCheck) -> serde_json::Value {
    let document = identity.document();
    json!([{
        "type": "document",
        "check_method": "vpip",
        "time": crate::domain::rfc3339(crate::db::now()),
        "document_details": {
            "type": document.kind,
            "document_number": format!("{} {}", document.series, document.number),
            "date_of_issuance": document.issue_date,
            "issuer": { "name": document.issuer },
        },
        "verifier": { "organization": staff.office, "txn": staff.actor() },
        "scan_provided": check.scan_provided,
    }])
}

/// A service-centre registration: the operator checked the document, the account is
/// created confirmed, and an activation code is printed for the citizen.
pub async fn register_in_person(
    svc: &Services,
    staff: &Staff,
    form: &IdentityForm,
    check: &DocumentCheck,
    raw_phone: &str,
    why: &str,
) -> Result<(UserRow, Issued), StaffError> {
    staff.require(svc, Action::RegisterInPerson).await?;
    let why = reason(why)?;
    let phone = phone(raw_phone, false)?;
    let identity = identity(form, check)?;
    let account =
        NewAccount { phone: phone.as_ref(), identity: Some(&identity), verifier: &staff.actor(), channel: "in_person" };
    let user = assisted::create(svc, account, false).await?;
    let user = assisted::confirm_in_person(svc, &user.id, &identity, &staff.actor(), evidence(staff, &identity, check))
        .await?;
    audit(svc, staff, Action::RegisterInPerson, Some(&user.id), &why, json!({ "level": user.account_level })).await;
    let issued = codes::activation_for(svc, staff, &user.id, &why, "print").await?;
    Ok((user, issued))
}

/// Confirms an existing account: the operator checked the document and corrected the
/// data against it where needed. The account is then bound to the person at the desk:
/// whoever created it may not be them, so every way in is removed (password, passkeys,
/// upstream links, the phone's verification, sessions, refresh tokens) and a printed
/// activation code lets the citizen set a password.
pub async fn confirm_in_person(
    svc: &Services,
    staff: &Staff,
    user_id: &str,
    form: &IdentityForm,
    check: &DocumentCheck,
    why: &str,
) -> Result<(UserRow, Issued), StaffError> {
    staff.require(svc, Action::ConfirmInPerson).await?;
    let why = reason(why)?;
    let identity = identity(form, check)?;
    let user =
        assisted::confirm_in_person(svc, user_id, &identity, &staff.actor(), evidence(staff, &identity, check)).await?;
    let reset = assisted::reset_credentials(svc, user_id, true, true).await?;
    super::sign_out_everywhere(svc, user_id, None).await?;
    let detail = json!({ "level": user.account_level, "reset": reset });
    audit(svc, staff, Action::ConfirmInPerson, Some(user_id), &why, detail).await;
    let issued = codes::activation_for(svc, staff, user_id, &why, "print").await?;
    Ok((user, issued))
}

/// A call-centre registration from data the citizen dictates: simplified, or standard
/// once the registry matches the data; never confirmed. The activation code goes by
/// SMS (`sms`) or the operator reads it out (`read_out`); the flag says whether an SMS
/// went out (when the gateway fails the operator reads the code out).
pub async fn register_by_phone(
    svc: &Services,
    staff: &Staff,
    form: &IdentityForm,
    raw_phone: &str,
    delivery: &str,
    why: &str,
) -> Result<(UserRow, Issued, bool), StaffError> {
    staff.require(svc, Action::RegisterByPhone).await?;
    let why = reason(why)?;
    let phone = phone(raw_phone, true)?;
    let delivery = match delivery {
        "sms" | "read_out" => delivery,
        _ => return Err(invalid("delivery", "choose SMS or reading the code out")),
    };
    let identity = Identity::parse(form, Date::today()).map_err(StaffError::Invalid)?;
    let account = NewAccount {
        phone: phone.as_ref(),
        identity: Some(&identity),
        verifier: &staff.actor(),
        channel: "call_centre",
    };
    let user = assisted::create(svc, account, true).await?;
    audit(svc, staff, Action::RegisterByPhone, Some(&user.id), &why, json!({ "delivery": delivery })).await;
    let issued = codes::activation_for(svc, staff, &user.id, &why, delivery).await?;
    if delivery == "sms"
        && let Some(phone) = &phone
    {
        let minutes = codes::ACTIVATION_TTL.as_secs() / 86_400;
        let text = format!(
            "Вход: код активации {} (номер {}). Действует {minutes} дн. Никому не сообщайте.",
            issued.code, issued.row.id
        );
        if let Err(e) = svc.otp.send_text(phone, &text).await {
            tracing::warn!(error = %e, "activation SMS failed; the operator can read the code out");
            // Read out, the code no longer proves the phone.
            let mut row = issued.row.clone();
            row.detail = json!({ "delivery": "read_out" }).to_string();
            let written = row.clone();
            svc.db.run(move |conn| crate::db::models::assisted_code::update(conn, &written)).await?;
            return Ok((user, Issued { row, code: issued.code }, false));
        }
        return Ok((user, issued, true));
    }
    Ok((user, issued, false))
}

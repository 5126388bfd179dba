//! Registration applications from partner organisations: the partner enters the
//! citizen's data and attaches document scans; a service-centre operator approves
//! (the account is created and an activation code issued) or rejects with a reason the
//! partner sees. Every step is kept in the case history.
//!
//! Scans are PDF, JPEG or PNG only, recognised by their first bytes (the declared
//! content type and the file name are not trusted), at most [`MAX_FILE_BYTES`] each
//! and [`MAX_FILES`] per application.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::codes::{self, Issued};
use super::{Action, Page, Staff, StaffError, audit, case_event, invalid, reason};
use crate::accounts::assisted::{self, NewAccount};
use crate::accounts::{Identity, IdentityForm};
use crate::app::Services;
use crate::db::models::application::{self as app_db, ApplicationRow, FileInfo, FileRow};
use crate::db::models::support_request::{self as case_db, CaseEventRow};
use crate::db::now;
use crate::domain::{Date, Phone};
use crate::jose::random_token;

/// Largest scan accepted.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Most scans per application.
pub const MAX_FILES: usize = 5;

/// An uploaded file before checking.
#[derive(Debug)]
pub struct Upload {
    /// Name as the browser sent it.
    pub name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The type a file's first bytes show, if it is one we accept.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// A file name safe to show and to send back: the last path component, printable,
/// at most 100 characters.
fn safe_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|c| !c.is_control() && !"\"<>".contains(*c)).take(100).collect();
    if name.trim().is_empty() { "scan".into() } else { name }
}

/// The application's data: identity form plus contacts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ApplicationForm {
    /// Identity data.
    #[serde(flatten)]
    pub identity: IdentityForm,
    /// Phone, if the citizen has one.
    #[serde(default)]
    pub phone: String,
}

/// A partner submits an application with scans.
pub async fn submit(
    svc: &Services,
    staff: &Staff,
    form: &ApplicationForm,
    uploads: Vec<Upload>,
) -> Result<ApplicationRow, StaffError> {
    staff.require(svc, Action::SubmitApplication).await?;
    let identity = Identity::parse(&form.identity, Date::today()).map_err(StaffError::Invalid)?;
    if !form.phone.trim().is_empty() {
        Phone::parse(&form.phone).map_err(|e| invalid("phone", e.0))?;
    }
    if uploads.len() > MAX_FILES {
        return Err(invalid("files", format!("at most {MAX_FILES} files")));
    }
    let (id, at) = (random_token(12), now());
    let mut files = Vec::new();
    for upload in uploads {
        let name = safe_name(&upload.name);
        if upload.bytes.len() > MAX_FILE_BYTES {
            return Err(invalid("files", format!("{name}: larger than {} MB", MAX_FILE_BYTES / (1024 * 1024))));
        }
        let Some(content_type) = sniff(&upload.bytes) else {
            return Err(invalid("files", format!("{name}: only PDF, JPEG and PNG files are accepted")));
        };
        files.push(FileRow {
            id: random_token(12),
            application_id: id.clone(),
            name,
            content_type: content_type.into(),
            size: upload.bytes.len() as i64,
            content: upload.bytes,
            created_at: at,
        });
    }
    let data = &form.identity;
    let search =
        format!("{} {} {} {} {}", data.family_name, data.given_name, data.middle_name, identity.snils(), form.phone)
            .to_lowercase();
    let row = ApplicationRow {
        id: id.clone(),
        partner: staff.username.clone(),
        organisation: staff.office.clone(),
        status: "submitted".into(),
        form: serde_json::to_string(form).expect("a form serializes"),
        search,
        reason: None,
        user_id: None,
        decided_by: None,
        created_at: at,
        updated_at: at,
    };
    let stored = row.clone();
    let count = files.len();
    svc.db.run(move |conn| app_db::insert(conn, &stored, &files)).await?;
    case_event(svc, &id, &staff.actor(), "submitted", &format!("{count} file(s)")).await?;
    audit(
        svc,
        staff,
        Action::SubmitApplication,
        None,
        "partner application",
        json!({ "application": id, "files": count }),
    )
    .await;
    Ok(row)
}

/// Whether the member may see this application: reviewers see all, partners their own.
fn visible(staff: &Staff, row: &ApplicationRow) -> bool {
    staff.may(Action::ReviewApplications) || (staff.may(Action::SubmitApplication) && row.partner == staff.username)
}

async fn load(svc: &Services, id: &str) -> Result<ApplicationRow, StaffError> {
    let id = id.to_owned();
    svc.db.run(move |conn| app_db::find(conn, &id)).await?.ok_or(StaffError::NotFound("application"))
}

/// An application, its files and its history.
pub async fn show(
    svc: &Services,
    staff: &Staff,
    id: &str,
) -> Result<(ApplicationRow, ApplicationForm, Vec<FileInfo>, Vec<CaseEventRow>), StaffError> {
    if !staff.may(Action::ReviewApplications) {
        staff.require(svc, Action::SubmitApplication).await?;
    }
    let row = load(svc, id).await?;
    if !visible(staff, &row) {
        return Err(StaffError::NotFound("application"));
    }
    let form = serde_json::from_str(&row.form).unwrap_or_default();
    let (a, b) = (row.id.clone(), row.id.clone());
    let files = svc.db.run(move |conn| app_db::files(conn, &a)).await?;
    let history = svc.db.run(move |conn| case_db::events(conn, &b)).await?;
    Ok((row, form, files, history))
}

/// One attached file.
pub async fn file(svc: &Services, staff: &Staff, id: &str, file_id: &str) -> Result<FileRow, StaffError> {
    let (row, ..) = show(svc, staff, id).await?;
    let (a, f) = (row.id, file_id.to_owned());
    svc.db.run(move |conn| app_db::file(conn, &a, &f)).await?.ok_or(StaffError::NotFound("file"))
}

/// One page of applications: partners see their own, reviewers all.
pub async fn page(
    svc: &Services,
    staff: &Staff,
    status: &str,
    q: &str,
    number: i64,
) -> Result<Page<ApplicationRow>, StaffError> {
    let partner = if staff.may(Action::ReviewApplications) {
        None
    } else {
        staff.require(svc, Action::SubmitApplication).await?;
        Some(staff.username.clone())
    };
    let status = match status {
        "submitted" | "approved" | "rejected" => Some(status.to_owned()),
        _ => None,
    };
    let (offset, limit) = Page::<ApplicationRow>::window(number);
    let q = q.trim().to_owned();
    let items =
        svc.db.run(move |conn| app_db::page(conn, partner.as_deref(), status.as_deref(), &q, offset, limit)).await?;
    Ok(Page::of(items, number))
}

/// An operator approves (creating the account with an activation code) or rejects.
pub async fn decide(
    svc: &Services,
    staff: &Staff,
    id: &str,
    approve: bool,
    why: &str,
) -> Result<(ApplicationRow, Option<Issued>), StaffError> {
    staff.require(svc, Action::DecideApplication).await?;
    let why = reason(why)?;
    let mut row = load(svc, id).await?;
    if row.status != "submitted" {
        return Err(StaffError::Refused(format!("the application was already {}", row.status)));
    }
    let mut issued = None;
    if approve {
        let form: ApplicationForm =
            serde_json::from_str(&row.form).map_err(|e| StaffError::Unavailable(format!("stored application: {e}")))?;
        let identity = Identity::parse(&form.identity, Date::today()).map_err(StaffError::Invalid)?;
        let phone = match form.phone.trim() {
            "" => None,
            raw => Some(Phone::parse(raw).map_err(|e| invalid("phone", e.0))?),
        };
        let account = NewAccount {
            phone: phone.as_ref(),
            identity: Some(&identity),
            verifier: &staff.actor(),
            channel: "partner_application",
        };
        let user = assisted::create(svc, account, true).await?;
        row.user_id = Some(user.id.clone());
        issued = Some(codes::activation_for(svc, staff, &user.id, &why, "print").await?);
        row.status = "approved".into();
    } else {
        row.status = "rejected".into();
        row.reason = Some(why.clone());
    }
    row.decided_by = Some(staff.actor());
    row.updated_at = now();
    let written = row.clone();
    if !svc.db.run(move |conn| app_db::decide(conn, &written)).await? {
        return Err(StaffError::Refused("the application was decided meanwhile".into()));
    }
    case_event(svc, &row.id, &staff.actor(), &row.status, &why).await?;
    audit(
        svc,
        staff,
        Action::DecideApplication,
        row.user_id.as_deref(),
        &why,
        json!({ "application": row.id, "status": row.status }),
    )
    .await;
    Ok((row, issued))
}

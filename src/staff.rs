//! Assisted channels: staff who help citizens who cannot register or sign in the
//! standard way. Service-centre (МФЦ) operators register and confirm citizens after a
//! document check, call-centre operators register citizens by phone, post-office
//! clerks confirm mailed codes, partner organisations submit applications, support
//! issues temporary access and works sign-in problem requests, auditors read.
//!
//! Every function takes the signed-in [`Staff`] member, checks the role matrix
//! ([`Role::allows`]) before anything else, and writes one `staff.action` audit event
//! naming the member, the office, the citizen and the reason; refusals are audited
//! too.

pub mod applications;
pub mod attorney;
pub mod citizens;
pub mod codes;
pub mod members;
pub mod support;

use serde_json::{Value, json};

use crate::accounts::AccountError;
use crate::accounts::registry::FieldMismatch;
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::DbError;

/// Staff roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Manages staff accounts; reads the audit trail.
    Admin,
    /// Service-centre operator.
    MfcOperator,
    /// Call-centre operator.
    CallcenterOperator,
    /// Post-office clerk.
    PostOperator,
    /// Partner organisation (NGO) member.
    Partner,
    /// Support.
    Support,
    /// Reads everything, changes nothing.
    Auditor,
}

/// Every role, in the order the matrix lists them.
pub const ROLES: [Role; 7] = [
    Role::Admin,
    Role::MfcOperator,
    Role::CallcenterOperator,
    Role::PostOperator,
    Role::Partner,
    Role::Support,
    Role::Auditor,
];

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::MfcOperator => "mfc_operator",
            Self::CallcenterOperator => "callcenter_operator",
            Self::PostOperator => "post_operator",
            Self::Partner => "partner",
            Self::Support => "support",
            Self::Auditor => "auditor",
        }
    }

    /// Parses a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        ROLES.into_iter().find(|r| r.as_str() == raw)
    }

    /// The role matrix (documented in `docs/STAFF.md`): exactly what each role may do.
    pub fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            Self::Admin => matches!(action, ManageStaff | ReadAudit),
            Self::MfcOperator => matches!(
                action,
                FindCitizens
                    | RegisterInPerson
                    | ConfirmInPerson
                    | IssueActivationCode
                    | ReviewApplications
                    | DecideApplication
                    | RecordPowerOfAttorney
                    | ReadCodes
                    | OpenSupportRequest
            ),
            Self::CallcenterOperator => matches!(action, FindCitizens | RegisterByPhone | OpenSupportRequest),
            Self::PostOperator => matches!(action, PresentPostCode),
            Self::Partner => matches!(action, SubmitApplication),
            Self::Support => matches!(
                action,
                FindCitizens | IssueTemporaryAccess | OpenSupportRequest | WorkSupportRequests | ReadCodes
            ),
            Self::Auditor => matches!(
                action,
                FindCitizens | ReadAudit | ReviewApplications | ReadCodes | ReadSupport | ReadPowersOfAttorney
            ),
        }
    }
}

/// What staff do; each is allowed to some roles by [`Role::allows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create, change and disable staff accounts.
    ManageStaff,
    /// Read the audit trail.
    ReadAudit,
    /// Search citizens and open their cards.
    FindCitizens,
    /// Register a citizen who is present with an identity document (confirmed).
    RegisterInPerson,
    /// Confirm an existing account after a document check.
    ConfirmInPerson,
    /// Issue a printable activation code.
    IssueActivationCode,
    /// Register a citizen by phone (never confirmed).
    RegisterByPhone,
    /// Mark a post confirmation code as presented with the document.
    PresentPostCode,
    /// Submit a registration application (partners; they see only their own).
    SubmitApplication,
    /// Read every application.
    ReviewApplications,
    /// Approve or reject an application.
    DecideApplication,
    /// Record and revoke powers of attorney.
    RecordPowerOfAttorney,
    /// Read powers of attorney.
    ReadPowersOfAttorney,
    /// Issue time-limited restricted access.
    IssueTemporaryAccess,
    /// List issued codes.
    ReadCodes,
    /// Open a support request for a citizen.
    OpenSupportRequest,
    /// Move support requests through the tiers and resolve them.
    WorkSupportRequests,
    /// Read support requests and the tier report.
    ReadSupport,
}

/// Every action, in the order the matrix lists them.
pub const ACTIONS: [Action; 18] = [
    Action::ManageStaff,
    Action::ReadAudit,
    Action::FindCitizens,
    Action::RegisterInPerson,
    Action::ConfirmInPerson,
    Action::IssueActivationCode,
    Action::RegisterByPhone,
    Action::PresentPostCode,
    Action::SubmitApplication,
    Action::ReviewApplications,
    Action::DecideApplication,
    Action::RecordPowerOfAttorney,
    Action::ReadPowersOfAttorney,
    Action::IssueTemporaryAccess,
    Action::ReadCodes,
    Action::OpenSupportRequest,
    Action::WorkSupportRequests,
    Action::ReadSupport,
];

impl Action {
    /// Stable name (audit log, documentation).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManageStaff => "manage_staff",
            Self::ReadAudit => "read_audit",
            Self::FindCitizens => "find_citizens",
            Self::RegisterInPerson => "register_in_person",
            Self::ConfirmInPerson => "confirm_in_person",
            Self::IssueActivationCode => "issue_activation_code",
            Self::RegisterByPhone => "register_by_phone",
            Self::PresentPostCode => "present_post_code",
            Self::SubmitApplication => "submit_application",
            Self::ReviewApplications => "review_applications",
            Self::DecideApplication => "decide_application",
            Self::RecordPowerOfAttorney => "record_power_of_attorney",
            Self::ReadPowersOfAttorney => "read_powers_of_attorney",
            Self::IssueTemporaryAccess => "issue_temporary_access",
            Self::ReadCodes => "read_codes",
            Self::OpenSupportRequest => "open_support_request",
            Self::WorkSupportRequests => "work_support_requests",
            Self::ReadSupport => "read_support",
        }
    }
}

/// A signed-in staff member, as loaded for each request (so a disabled account or a
/// changed role takes effect at once).
#[derive(Debug, Clone)]
pub struct Staff {
    /// Id.
    pub id: String,
    /// Sign-in name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Office or organisation.
    pub office: String,
}

impl Staff {
    /// Whether any of the member's roles allows `action`.
    pub fn may(&self, action: Action) -> bool {
        self.roles.iter().any(|r| r.allows(action))
    }

    /// How the audit log names the member.
    pub fn actor(&self) -> String {
        format!("staff:{}", self.username)
    }

    /// Refuses (and audits the refusal) unless the member may do `action`.
    pub async fn require(&self, svc: &Services, action: Action) -> Result<(), StaffError> {
        if self.may(action) {
            return Ok(());
        }
        svc.audit
            .record(
                AuditEvent::failure(AuditKind::StaffAction)
                    .actor(self.actor())
                    .detail(json!({ "action": action.as_str(), "office": self.office, "refused": "role" })),
            )
            .await;
        Err(StaffError::Forbidden)
    }
}

/// Errors of the staff services.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// The member's roles do not allow this.
    #[error("your role does not allow this action")]
    Forbidden,
    /// Input that cannot be used, per field.
    #[error("invalid input")]
    Invalid(Vec<FieldMismatch>),
    /// Refused as a whole; the message says why.
    #[error("{0}")]
    Refused(String),
    /// No such object.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A backing store failed.
    #[error("{0}")]
    Unavailable(String),
}

impl From<DbError> for StaffError {
    fn from(e: DbError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<crate::state::StateError> for StaffError {
    fn from(e: crate::state::StateError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<AccountError> for StaffError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(list) => Self::Invalid(list),
            AccountError::Refused(m) => Self::Refused(m.to_owned()),
            AccountError::Unavailable(m) => Self::Unavailable(m),
        }
    }
}

/// One invalid field.
pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> StaffError {
    StaffError::Invalid(vec![FieldMismatch { field: field.to_owned(), reason: reason.into() }])
}

/// The reason staff give for an action: required, trimmed, at most 500 characters.
pub(crate) fn reason(raw: &str) -> Result<String, StaffError> {
    let reason = raw.trim();
    if reason.is_empty() {
        return Err(invalid("reason", "say why (the audit trail records it)"));
    }
    Ok(reason.chars().take(500).collect())
}

/// Records a staff action on a citizen.
pub(crate) async fn audit(
    svc: &Services,
    staff: &Staff,
    action: Action,
    citizen: Option<&str>,
    reason: &str,
    detail: Value,
) {
    let mut event = AuditEvent::success(AuditKind::StaffAction).actor(staff.actor()).detail(json!({
        "action": action.as_str(), "office": staff.office, "reason": reason, "detail": detail,
    }));
    if let Some(citizen) = citizen {
        event = event.subject(citizen.to_owned());
    }
    svc.audit.record(event).await;
}

/// Appends a step to the history of a case (application or support request).
pub(crate) async fn case_event(
    svc: &Services,
    case_id: &str,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<(), StaffError> {
    let row = crate::db::models::support_request::CaseEventRow {
        id: crate::accounts::history_id(),
        case_id: case_id.to_owned(),
        at: crate::db::now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        detail: detail.to_owned(),
    };
    svc.db.run(move |conn| crate::db::models::support_request::add_event(conn, &row)).await?;
    Ok(())
}

/// Ends every browser session of an account, with back-channel logout to its clients.
pub(crate) async fn sign_out_everywhere(
    svc: &Services,
    user_id: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<(), StaffError> {
    for session in crate::login::Session::list(&svc.state, user_id).await? {
        crate::oidc::logout::end_other_session(svc, user_id, &session.sid, ip)
            .await
            .map_err(|e| StaffError::Unavailable(e.to_string()))?;
    }
    Ok(())
}

/// Items per page in every staff list.
pub const PAGE_SIZE: i64 = 20;

/// One page of a list and whether there is a next one.
#[derive(Debug)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// 1-based page number.
    pub number: i64,
    /// Whether more follow.
    pub more: bool,
}

impl<T> Page<T> {
    /// Offset and limit (one extra to detect a next page) for page `number`.
    pub fn window(number: i64) -> (i64, i64) {
        ((number.max(1) - 1) * PAGE_SIZE, PAGE_SIZE + 1)
    }

    /// Cuts the extra item off.
    pub fn of(mut items: Vec<T>, number: i64) -> Self {
        let more = items.len() as i64 > PAGE_SIZE;
        items.truncate(PAGE_SIZE as usize);
        Self { items, number: number.max(1), more }
    }
}

/// One page of the staff audit trail (`staff.*` events), for a member or citizen `q`.
pub async fn audit_page(
    svc: &Services,
    staff: &Staff,
    q: &str,
    number: i64,
) -> Result<Page<crate::db::models::audit_event::AuditEventRow>, StaffError> {
    staff.require(svc, Action::ReadAudit).await?;
    let (offset, limit) = Page::<()>::window(number);
    let q = q.trim().to_owned();
    let items = svc.db.run(move |conn| crate::db::models::audit_event::staff_page(conn, &q, offset, limit)).await?;
    Ok(Page::of(items, number))
}

/// The role matrix as a Markdown table (`docs/STAFF.md` holds it; a test keeps them
/// equal).
pub fn matrix_markdown() -> String {
    let mut table = String::from("| action |");
    for role in ROLES {
        table.push_str(&format!(" `{}` |", role.as_str()));
    }
    table.push_str("\n| --- |");
    table.push_str(&" :-: |".repeat(ROLES.len()));
    for action in ACTIONS {
        table.push_str(&format!("\n| `{}` |", action.as_str()));
        for role in ROLES {
            table.push_str(if role.allows(action) { " ✓ |" } else { "  |" });
        }
    }
    table.push('\n');
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_matrix_is_the_enforced_one() {
        let doc = include_str!("../docs/STAFF.md");
        assert!(doc.contains(&matrix_markdown()), "docs/STAFF.md must contain:\n{}", matrix_markdown());
    }

    #[test]
    fn least_privilege_holds() {
        // Nobody but admins manages staff; post clerks and partners do one thing each.
        for role in ROLES {
            assert_eq!(role.allows(Action::ManageStaff), role == Role::Admin);
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(ACTIONS.iter().filter(|a| Role::PostOperator.allows(**a)).count(), 1);
        assert_eq!(ACTIONS.iter().filter(|a| Role::Partner.allows(**a)).count(), 1);
        assert!(!Role::CallcenterOperator.allows(Action::ConfirmInPerson), "never confirmed by phone");
        assert!(ACTIONS.iter().all(|a| !Role::Auditor.allows(*a)
            || a.as_str().starts_with("read")
            || *a == Action::FindCitizens
            || *a == Action::ReviewApplications));
    }

    #[test]
    fn pages_cut_one_extra_item() {
        let (offset, limit) = Page::<u8>::window(3);
        assert_eq!((offset, limit), (2 * PAGE_SIZE, PAGE_SIZE + 1));
        let page = Page::of((0..=PAGE_SIZE as u8).collect(), 3);
        assert!(page.more);
        assert_eq!(page.items.len(), PAGE_SIZE as usize);
        assert!(!Page::of(vec![1u8], 1).more);
    }
}

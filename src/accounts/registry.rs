//! The registry check behind standard-level accounts: the identity data a citizen
//! entered is compared with a state registry record (SNILS, name, birth date,
//! passport). [`RegistryCheck`] is the contract; a JSON file and an HTTP service
//! implement it. Answers never reveal the registry's values, only which field differs.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::config::RegistrySource;
use crate::domain::{Date, Passport, PersonName, Snils};

/// The data a check compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRecord {
    /// СНИЛС, 11 digits.
    pub snils: String,
    /// Family name as entered.
    pub family_name: String,
    /// Given name as entered.
    pub given_name: String,
    /// Patronymic as entered.
    pub middle_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
    /// Passport series, 4 digits.
    pub passport_series: String,
    /// Passport number, 6 digits.
    pub passport_number: String,
}

/// One field that differs, with a reason fit to show the citizen and the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMismatch {
    /// Claim name of the field (`family_name`, `birthdate`, `snils`, `id_document`…).
    pub field: String,
    /// Why.
    pub reason: String,
}

/// What the registry said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryAnswer {
    /// Every field matches.
    Match,
    /// A record exists and these fields differ.
    Mismatch(Vec<FieldMismatch>),
    /// No record for this SNILS.
    NotFound,
}

/// The registry could not answer.
#[derive(Debug, thiserror::Error)]
#[error("registry unavailable: {0}")]
pub struct RegistryError(pub String);

/// Checks identity data against a registry.
pub trait RegistryCheck: Send + Sync {
    /// Compares `person` with the registry's record.
    fn check(&self, person: &PersonRecord) -> impl Future<Output = Result<RegistryAnswer, RegistryError>> + Send;
}

/// The configured registry.
#[derive(Clone)]
pub enum Registry {
    /// None configured: accounts cannot reach standard level by themselves.
    Disabled,
    /// A JSON file.
    File(FileRegistry),
    /// An HTTP service.
    Http(HttpRegistry),
}

impl Registry {
    /// Builds the registry named by configuration.
    pub fn from_config(source: &RegistrySource) -> Result<Self, RegistryError> {
        Ok(match source {
            RegistrySource::None => Self::Disabled,
            RegistrySource::File(path) => Self::File(FileRegistry { path: path.clone() }),
            RegistrySource::Http { url, authorization, timeout } => {
                Self::Http(HttpRegistry::new(url.clone(), authorization.clone(), *timeout)?)
            }
        })
    }

    /// How the verifier is named in the account history.
    pub fn name(&self) -> String {
        match self {
            Self::Disabled => "none".into(),
            Self::File(f) => format!("file:{}", f.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()),
            Self::Http(h) => format!("http:{}", h.url.host_str().unwrap_or_default()),
        }
    }
}

impl RegistryCheck for Registry {
    async fn check(&self, person: &PersonRecord) -> Result<RegistryAnswer, RegistryError> {
        match self {
            Self::Disabled => Err(RegistryError("no registry is configured".into())),
            Self::File(f) => f.check(person).await,
            Self::Http(h) => h.check(person).await,
        }
    }
}

/// A registry record as the file holds it.
#[derive(Debug, Clone, Deserialize)]
struct FileRecord {
    snils: String,
    family_name: String,
    given_name: String,
    #[serde(default)]
    middle_name: Option<String>,
    birthdate: String,
    passport: String,
}

/// A JSON array of records, re-read at every check so operators can edit it.
#[derive(Clone)]
pub struct FileRegistry {
    path: PathBuf,
}

impl RegistryCheck for FileRegistry {
    async fn check(&self, person: &PersonRecord) -> Result<RegistryAnswer, RegistryError> {
        let path = self.path.clone();
        let raw = tokio::task::spawn_blocking(move || std::fs::read(path))
            .await
            .map_err(|e| RegistryError(e.to_string()))?
            .map_err(|e| RegistryError(format!("cannot read {}: {e}", self.path.display())))?;
        let records: Vec<FileRecord> =
            serde_json::from_slice(&raw).map_err(|e| RegistryError(format!("malformed registry file: {e}")))?;
        let found = records.into_iter().find(|r| Snils::parse(&r.snils).is_ok_and(|s| s.digits() == person.snils));
        Ok(match found {
            None => RegistryAnswer::NotFound,
            Some(record) => compare(person, &record),
        })
    }
}

fn compare(person: &PersonRecord, record: &FileRecord) -> RegistryAnswer {
    let mut out = Vec::new();
    let entered = PersonName::parse(&person.family_name, &person.given_name, person.middle_name.as_deref());
    let on_record = PersonName::parse(&record.family_name, &record.given_name, record.middle_name.as_deref());
    if let (Ok(entered), Ok(on_record)) = (entered, on_record) {
        for m in entered.compare(&on_record) {
            let reason = if m.reason.starts_with('«') {
                "does not match the registry record".to_owned()
            } else {
                "given in one record and missing in the other".to_owned()
            };
            out.push(FieldMismatch { field: m.field.to_owned(), reason });
        }
    }
    if Date::parse(&record.birthdate).ok().map(|d| d.to_string()).as_deref() != Some(person.birthdate.as_str()) {
        out.push(FieldMismatch { field: "birthdate".into(), reason: "does not match the registry record".into() });
    }
    let passport = Passport::parse(&record.passport).ok();
    if passport.as_ref().map(|p| (p.series.as_str(), p.number.as_str()))
        != Some((person.passport_series.as_str(), person.passport_number.as_str()))
    {
        out.push(FieldMismatch {
            field: "id_document".into(),
            reason: "is not the passport on record (it may have been replaced: enter the current one)".into(),
        });
    }
    if out.is_empty() { RegistryAnswer::Match } else { RegistryAnswer::Mismatch(out) }
}

/// A registry service: `POST` the record as JSON, read
/// `{"result": "match" | "mismatch" | "not_found", "fields": [{"field", "reason"}]}`.
#[derive(Clone)]
pub struct HttpRegistry {
    url: url::Url,
    authorization: Option<Arc<SecretString>>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct HttpAnswer {
    result: String,
    #[serde(default)]
    fields: Vec<FieldMismatch>,
}

impl HttpRegistry {
    fn new(url: url::Url, authorization: Option<SecretString>, timeout: Duration) -> Result<Self, RegistryError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .map_err(|e| RegistryError(e.to_string()))?;
        Ok(Self { url, authorization: authorization.map(Arc::new), http })
    }
}

impl RegistryCheck for HttpRegistry {
    async fn check(&self, person: &PersonRecord) -> Result<RegistryAnswer, RegistryError> {
        let mut request = self.http.post(self.url.clone()).json(person);
        if let Some(auth) = &self.authorization {
            request = request.header(reqwest::header::AUTHORIZATION, auth.expose_secret());
        }
        let response = request.send().await.map_err(|e| {
            RegistryError(if e.is_timeout() { "the registry timed out".into() } else { "unreachable".into() })
        })?;
        if !response.status().is_success() {
            return Err(RegistryError(format!("the registry answered {}", response.status())));
        }
        let answer: HttpAnswer =
            response.json().await.map_err(|e| RegistryError(format!("malformed registry answer: {e}")))?;
        match answer.result.as_str() {
            "match" => Ok(RegistryAnswer::Match),
            "not_found" => Ok(RegistryAnswer::NotFound),
            "mismatch" if !answer.fields.is_empty() => Ok(RegistryAnswer::Mismatch(answer.fields)),
            other => Err(RegistryError(format!("unknown registry result `{other}`"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> PersonRecord {
        PersonRecord {
            snils: "11223344595".into(),
            family_name: "Фёдоров".into(),
            given_name: "Алексей".into(),
            middle_name: Some("Петрович".into()),
            birthdate: "1980-02-29".into(),
            passport_series: "4508".into(),
            passport_number: "123456".into(),
        }
    }

    fn record() -> FileRecord {
        FileRecord {
            snils: "112-233-445 95".into(),
            family_name: "ФЕДОРОВ".into(),
            given_name: "Алексей".into(),
            middle_name: Some("Петрович".into()),
            birthdate: "29.02.1980".into(),
            passport: "45 08 123456".into(),
        }
    }

    #[test]
    fn records_match_after_normalisation_and_mismatches_name_fields_without_values() {
        assert_eq!(compare(&person(), &record()), RegistryAnswer::Match);
        let mut other = record();
        other.given_name = "Александр".into();
        other.passport = "4510 654321".into();
        let RegistryAnswer::Mismatch(fields) = compare(&person(), &other) else { panic!() };
        assert_eq!(fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["given_name", "id_document"]);
        assert!(fields.iter().all(|f| !f.reason.contains("Александр")), "registry values stay hidden");
    }
}

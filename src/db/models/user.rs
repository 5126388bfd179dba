//! `users` rows.

use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::{AnyConnection, DbError};

/// A stored citizen account. Identity data is kept exactly as entered.
#[derive(Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_null = true)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct UserRow {
    /// Stable subject identifier.
    pub id: String,
    /// Sign-in name (self-registered accounts: the phone number they registered with).
    pub username: String,
    /// Argon2id PHC string; `None` for passwordless accounts.
    pub password_hash: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Patronymic.
    pub middle_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthdate: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Whether the e-mail address was verified.
    pub email_verified: bool,
    /// Phone number, E.164.
    pub phone_number: Option<String>,
    /// Whether the phone number was verified.
    pub phone_number_verified: bool,
    /// OIDC address claim as JSON.
    pub address: Option<String>,
    /// `simplified`, `standard` or `confirmed`.
    pub account_level: String,
    /// `female` or `male`.
    pub gender: Option<String>,
    /// СНИЛС, 11 digits.
    pub snils: Option<String>,
    /// ИНН, 12 digits.
    pub inn: Option<String>,
    /// Identity document as JSON (`IdDocument`).
    pub id_document: Option<String>,
    /// State of the registry check: `pending`, `matched`, `mismatch`, `not_found`,
    /// `error`, `unavailable`.
    pub registry_status: Option<String>,
    /// JSON list of mismatching fields with reasons.
    pub registry_detail: Option<String>,
}

impl UserRow {
    /// A new simplified account with nothing but a sign-in name.
    pub fn new(id: String, username: String, at: i64) -> Self {
        Self {
            id,
            username,
            password_hash: None,
            created_at: at,
            updated_at: at,
            given_name: None,
            family_name: None,
            middle_name: None,
            birthdate: None,
            email: None,
            email_verified: false,
            phone_number: None,
            phone_number_verified: false,
            address: None,
            account_level: "simplified".into(),
            gender: None,
            snils: None,
            inn: None,
            id_document: None,
            registry_status: None,
            registry_detail: None,
        }
    }
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow").field("id", &self.id).field("username", &self.username).finish_non_exhaustive()
    }
}

/// Inserts a user; `DbError::Conflict` when the user name (or verified phone) is taken.
pub fn insert(conn: &mut AnyConnection, row: &UserRow) -> Result<(), DbError> {
    diesel::insert_into(users::table).values(row).execute(conn)?;
    Ok(())
}

/// Writes every column of an existing user.
pub fn update(conn: &mut AnyConnection, row: &UserRow) -> Result<bool, DbError> {
    Ok(diesel::update(users::table.find(&row.id)).set(row).execute(conn)? == 1)
}

/// Loads a user by id.
pub fn find_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<UserRow>, DbError> {
    Ok(users::table.find(id).select(UserRow::as_select()).first(conn).optional()?)
}

/// Loads a user by sign-in name.
pub fn find_by_username(conn: &mut AnyConnection, username: &str) -> Result<Option<UserRow>, DbError> {
    Ok(users::table.filter(users::username.eq(username)).select(UserRow::as_select()).first(conn).optional()?)
}

/// The account that signs in with this verified phone number.
pub fn find_by_verified_phone(conn: &mut AnyConnection, phone: &str) -> Result<Option<UserRow>, DbError> {
    Ok(users::table
        .filter(users::phone_number.eq(phone))
        .filter(users::phone_number_verified.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Another account at standard level or above with this SNILS.
pub fn verified_snils_holder(conn: &mut AnyConnection, snils: &str, except: &str) -> Result<Option<String>, DbError> {
    Ok(users::table
        .filter(users::snils.eq(snils))
        .filter(users::id.ne(except))
        .filter(users::account_level.ne("simplified"))
        .select(users::id)
        .first(conn)
        .optional()?)
}

/// Accounts whose registry check was interrupted.
pub fn pending_checks(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    Ok(users::table.filter(users::registry_status.eq("pending")).select(users::id).load(conn)?)
}

/// An account at standard level or above holding this passport (series and number as
/// `accounts::IdDocument` stores them).
pub fn verified_passport_holder(
    conn: &mut AnyConnection,
    series: &str,
    number: &str,
) -> Result<Option<UserRow>, DbError> {
    let digits = |v: &str| v.chars().all(|c| c.is_ascii_digit());
    if !digits(series) || !digits(number) {
        return Ok(None);
    }
    let pattern = format!("%\"series\":\"{series}\",\"number\":\"{number}\"%");
    Ok(users::table
        .filter(users::id_document.like(pattern))
        .filter(users::account_level.ne("simplified"))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// One page of accounts matching what staff typed: a phone number (E.164), SNILS
/// digits, the user name, or the start of the family name (as typed or capitalised).
pub fn search(conn: &mut AnyConnection, q: &str, offset: i64, limit: i64) -> Result<Vec<UserRow>, DbError> {
    let q = q.trim();
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let capitalised: String = q.chars().take(1).flat_map(char::to_uppercase).chain(q.chars().skip(1)).collect();
    let mut query = users::table.into_boxed();
    if !q.is_empty() {
        query = query
            .filter(users::username.eq(q.to_owned()))
            .or_filter(users::family_name.like(format!("{}%", crate::db::like_literal(q))).escape('\\'))
            .or_filter(users::family_name.like(format!("{}%", crate::db::like_literal(&capitalised))).escape('\\'));
        if let Ok(phone) = crate::domain::Phone::parse(q) {
            query = query.or_filter(users::phone_number.eq(phone.as_str().to_owned()));
        }
        if digits.len() == 11 {
            query = query.or_filter(users::snils.eq(digits));
        }
    }
    Ok(query
        .order((users::family_name.asc(), users::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)?)
}

/// The account holding this SNILS (any level), if one does.
pub fn find_by_snils(conn: &mut AnyConnection, snils: &str) -> Result<Option<UserRow>, DbError> {
    Ok(users::table.filter(users::snils.eq(snils)).select(UserRow::as_select()).first(conn).optional()?)
}

/// The account a person names when they cannot give its id: the sign-in name, a phone
/// number in any spelling (assisted accounts sign in with it), or the SNILS.
pub fn find_by_login(conn: &mut AnyConnection, login: &str) -> Result<Option<UserRow>, DbError> {
    let login = login.trim();
    if let Some(user) = find_by_username(conn, login)? {
        return Ok(Some(user));
    }
    if let Ok(phone) = crate::domain::Phone::parse(login)
        && let Some(user) = find_by_username(conn, phone.as_str())?
    {
        return Ok(Some(user));
    }
    let digits: String = login.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 11 { find_by_snils(conn, &digits) } else { Ok(None) }
}

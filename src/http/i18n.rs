//! Page texts in Russian and English, chosen from `ui_locales`, then `Accept-Language`,
//! then Russian.

mod citizen;
mod reasons;

pub use citizen::{CitizenTexts, field_label, level_name, method_name, registry_status};
pub use reasons::reason;

/// A field error as "Label: reason" in the page's language (just the reason when the
/// field has no label of its own).
pub fn mismatch(locale: Locale, field: &str, why: &str) -> String {
    let label = field_label(locale, field);
    let why = reason(locale, why);
    if label == field_label(locale, "") { why } else { format!("{label}: {why}") }
}

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// Русский.
    Ru,
    /// English.
    En,
}

impl Locale {
    /// Picks the first supported language from `ui_locales` (space-separated BCP 47
    /// tags), then from `Accept-Language` (by quality), else Russian.
    pub fn negotiate(ui_locales: Option<&str>, accept_language: Option<&str>) -> Self {
        let from_tag = |tag: &str| match tag.trim().split(['-', '_']).next().map(str::to_ascii_lowercase).as_deref() {
            Some("ru") => Some(Self::Ru),
            Some("en") => Some(Self::En),
            _ => None,
        };
        if let Some(found) = ui_locales.into_iter().flat_map(|l| l.split(' ')).find_map(from_tag) {
            return found;
        }
        let mut ranked: Vec<(f32, Self)> = accept_language
            .into_iter()
            .flat_map(|h| h.split(','))
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let locale = from_tag(pieces.next()?)?;
                let q =
                    pieces.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
                Some((q, locale))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map_or(Self::Ru, |(_, l)| *l)
    }

    /// One of two texts by language (staff pages keep their texts next to their use).
    pub fn pick(self, ru: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Ru => ru,
            Self::En => en,
        }
    }

    /// The other language (for the language link).
    pub fn other(self) -> Self {
        match self {
            Self::Ru => Self::En,
            Self::En => Self::Ru,
        }
    }

    /// The `lang` attribute value.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Ru => "ru",
            Self::En => "en",
        }
    }

    /// The texts.
    pub fn texts(self) -> &'static Texts {
        match self {
            Self::Ru => &RU,
            Self::En => &EN,
        }
    }
}

/// Every string a page shows.
pub struct Texts {
    /// Product name.
    pub brand: &'static str,
    /// Sign-in page title.
    pub sign_in_title: &'static str,
    /// "to continue to" before the client name.
    pub continue_to: &'static str,
    /// User-name label.
    pub username: &'static str,
    /// Password label.
    pub password: &'static str,
    /// Sign-in button.
    pub sign_in: &'static str,
    /// Wrong credentials (never says which).
    pub wrong_credentials: &'static str,
    /// Locked out.
    pub locked: &'static str,
    /// Consent page title.
    pub consent_title: &'static str,
    /// "asks for access to".
    pub consent_asks: &'static str,
    /// Allow button.
    pub allow: &'static str,
    /// Deny button.
    pub deny: &'static str,
    /// Consent revocation hint.
    pub consent_revocable: &'static str,
    /// Error page title.
    pub error_title: &'static str,
    /// Error page hint.
    pub error_hint: &'static str,
    /// Expired or unknown sign-in.
    pub expired: &'static str,
    /// Form expired (CSRF).
    pub form_expired: &'static str,
    /// Service unavailable.
    pub unavailable: &'static str,
    /// Continue button (form_post without JavaScript).
    pub continue_button: &'static str,
    /// Account page title.
    pub account_title: &'static str,
    /// "Signed in as".
    pub signed_in_as: &'static str,
    /// Apps heading.
    pub apps_heading: &'static str,
    /// No apps.
    pub no_apps: &'static str,
    /// Revoke button.
    pub revoke: &'static str,
    /// Sign-out button.
    pub sign_out: &'static str,
    /// Not signed in.
    pub not_signed_in: &'static str,
    /// Signed out.
    pub signed_out: &'static str,
    /// Logout confirmation question.
    pub sign_out_question: &'static str,
    /// Other language link text.
    pub other_language: &'static str,
}

static RU: Texts = Texts {
    brand: "Вход",
    sign_in_title: "Вход",
    continue_to: "для продолжения в",
    username: "Имя пользователя",
    password: "Пароль",
    sign_in: "Войти",
    wrong_credentials: "Неверное имя пользователя или пароль.",
    locked: "Слишком много неудачных попыток. Повторите попытку через 15 минут или восстановите доступ.",
    consent_title: "Разрешение доступа",
    consent_asks: "запрашивает доступ к:",
    allow: "Разрешить",
    deny: "Отклонить",
    consent_revocable: "Разрешение можно отозвать в личном кабинете.",
    error_title: "Не удалось выполнить вход",
    error_hint: "Вернитесь в приложение и попробуйте снова.",
    expired: "Ссылка для входа устарела или уже использована.",
    form_expired: "Форма устарела. Обновите страницу и попробуйте снова.",
    unavailable: "Сервис временно недоступен. Попробуйте позже.",
    continue_button: "Продолжить",
    account_title: "Личный кабинет",
    signed_in_as: "Вы вошли как",
    apps_heading: "Приложения с доступом",
    no_apps: "Ни одному приложению не выдан доступ.",
    revoke: "Отозвать",
    sign_out: "Выйти",
    not_signed_in: "Вы не вошли в систему.",
    signed_out: "Вы вышли из системы.",
    sign_out_question: "Выйти из системы?",
    other_language: "English",
};

static EN: Texts = Texts {
    brand: "Vhod",
    sign_in_title: "Sign in",
    continue_to: "to continue to",
    username: "User name",
    password: "Password",
    sign_in: "Sign in",
    wrong_credentials: "Wrong user name or password.",
    locked: "Too many failed attempts. Try again in 15 minutes or recover access.",
    consent_title: "Allow access",
    consent_asks: "asks for access to:",
    allow: "Allow",
    deny: "Deny",
    consent_revocable: "You can revoke this permission on your account page.",
    error_title: "Sign-in failed",
    error_hint: "Return to the application and try again.",
    expired: "This sign-in link has expired or was already used.",
    form_expired: "This form has expired. Reload the page and try again.",
    unavailable: "The service is temporarily unavailable. Try again later.",
    continue_button: "Continue",
    account_title: "Your account",
    signed_in_as: "Signed in as",
    apps_heading: "Applications with access",
    no_apps: "No application has access.",
    revoke: "Revoke",
    sign_out: "Sign out",
    not_signed_in: "You are not signed in.",
    signed_out: "You have signed out.",
    sign_out_question: "Sign out?",
    other_language: "Русский",
};

/// A scope in plain words.
pub fn describe_scope(locale: Locale, scope: &str) -> String {
    let (ru, en) = match scope {
        "openid" => (
            "Подтверждение вашей личности (идентификатор учётной записи)",
            "Confirm who you are (your account identifier)",
        ),
        "email" => ("Адрес электронной почты", "Your e-mail address"),
        "phone" => ("Номер телефона", "Your phone number"),
        "address" => ("Почтовый адрес", "Your postal address"),
        "profile" => ("Фамилия, имя, отчество, дата рождения и пол", "Your name, date of birth and gender"),
        "offline_access" => ("Доступ, когда вы не в сети (долгосрочный)", "Access while you are away (long-lived)"),
        "snils" => ("СНИЛС", "Your SNILS (insurance number)"),
        "inn" => ("ИНН", "Your INN (taxpayer number)"),
        "id_document" => {
            ("Паспорт: серия, номер, дата выдачи и кем выдан", "Your passport: series, number, issue date and issuer")
        }
        "verified_claims" => {
            ("Какие из этих данных подтверждены, кем и когда", "Which of this data is verified, by whom and when")
        }
        other => {
            return match locale {
                Locale::Ru => format!("Доступ: {other}"),
                Locale::En => format!("Access: {other}"),
            };
        }
    };
    match locale {
        Locale::Ru => ru.to_owned(),
        Locale::En => en.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_locales_win_then_accept_language_by_quality_then_russian() {
        assert_eq!(Locale::negotiate(Some("fr en-GB"), Some("ru")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("de, en;q=0.8, ru;q=0.5")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("en;q=0.3, ru-RU")), Locale::Ru);
        assert_eq!(Locale::negotiate(Some("fr"), None), Locale::Ru);
        assert_eq!(Locale::negotiate(None, None), Locale::Ru);
    }
}

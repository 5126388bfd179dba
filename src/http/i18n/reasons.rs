//! Russian wording of the reasons the service and domain layers give in English: field
//! errors (`FieldMismatch::reason`), refusals (`AccountError::Refused`,
//! `StaffError::Refused`, `FederatedError::Refused`) and the display text of the errors
//! pages show as they are (`CodeError`, `OtpError`, `LoginError`, …).
//!
//! The services keep speaking English (logs, the admin API, tests); only the HTTP layer
//! translates, through [`reason`]. Each entry of the table is an English pattern and
//! its Russian wording. A pattern is either the whole reason, or has one `{}` for a
//! dynamic part (a file name, a number, a value as typed) that is carried over into the
//! Russian `{}`. Whole-reason entries are tried first, so a fixed wording wins over a
//! pattern that would also match it (`at most 200 printable characters` is not read as
//! `at most {} characters`). Values the services fill from constants (the password
//! length, the file limits, the role list) are written out as they read today; the
//! tests build them from the constants, so a change there fails a test here.

use super::Locale;

/// Where a pattern's dynamic part goes.
const SLOT: &str = "{}";

/// (English as the services write it, Russian), grouped by where the reason comes from.
static REASONS: &[(&str, &str)] = &[
    // ---- domain/identity.rs: СНИЛС, ИНН, passport, dates, phone, names
    ("СНИЛС may contain only digits, spaces and hyphens", "СНИЛС может содержать только цифры, пробелы и дефисы"),
    ("СНИЛС must have 11 digits", "СНИЛС должен содержать 11 цифр"),
    ("СНИЛС check digits do not match", "СНИЛС указан с ошибкой: не сходится контрольное число"),
    ("ИНН may contain only digits", "ИНН может содержать только цифры"),
    ("ИНН must have 10 or 12 digits", "ИНН должен содержать 10 или 12 цифр"),
    ("ИНН check digits do not match", "ИНН указан с ошибкой: не сходятся контрольные цифры"),
    ("passport series and number are digits", "серия и номер паспорта состоят только из цифр"),
    (
        "passport series (4 digits) and number (6 digits) make 10 digits",
        "серия (4 цифры) и номер (6 цифр) паспорта — всего 10 цифр",
    ),
    ("passport series or number cannot be all zeros", "серия или номер паспорта не могут состоять из одних нулей"),
    ("dates are YYYY-MM-DD or DD.MM.YYYY", "укажите дату в формате ДД.ММ.ГГГГ или ГГГГ-ММ-ДД"),
    ("{} is not a date that exists", "даты {} не существует"),
    ("the birth date is in the future", "дата рождения не может быть в будущем"),
    ("the birth date is more than 130 years ago", "дата рождения не может быть более 130 лет назад"),
    (
        "a phone number has digits, spaces, hyphens and brackets only",
        "номер телефона может содержать только цифры, пробелы, дефисы и скобки",
    ),
    (
        "not a phone number: use +7 and 10 digits, or an international +number",
        "это не номер телефона: укажите +7 и 10 цифр или международный номер, начинающийся с +",
    ),
    ("Russian numbers have 10 digits after +7", "в российском номере после +7 должно быть 10 цифр"),
    (
        "family name must be 1 to 100 letters (spaces, hyphens and apostrophes allowed)",
        "фамилия должна содержать от 1 до 100 букв (допускаются пробелы, дефисы и апострофы)",
    ),
    (
        "given name must be 1 to 100 letters (spaces, hyphens and apostrophes allowed)",
        "имя должно содержать от 1 до 100 букв (допускаются пробелы, дефисы и апострофы)",
    ),
    (
        "patronymic must be 1 to 100 letters (spaces, hyphens and apostrophes allowed)",
        "отчество должно содержать от 1 до 100 букв (допускаются пробелы, дефисы и апострофы)",
    ),
    // accounts.rs rewrites "family name" to "the name" for both name fields of the form.
    (
        "the name must be 1 to 100 letters (spaces, hyphens and apostrophes allowed)",
        "укажите от 1 до 100 букв (допускаются пробелы, дефисы и апострофы)",
    ),
    ("present in one record and missing in the other", "указано в одной записи и отсутствует в другой"),
    // ---- domain/assurance.rs
    ("gender is `female` or `male`", "укажите пол: женский или мужской"),
    ("unknown account level `{}`", "неизвестный уровень учётной записи «{}»"),
    ("unknown verification method `{}`", "неизвестный способ проверки данных «{}»"),
    // ---- domain/client.rs (client ids reach staff through powers of attorney; the
    // rest only the admin API shows)
    ("client id must be 1 to 128 characters", "идентификатор приложения должен содержать от 1 до 128 символов"),
    (
        "client id may contain only letters, digits and - . _ ~ : @",
        "идентификатор приложения может содержать только латинские буквы, цифры и символы - . _ ~ : @",
    ),
    ("unknown grant type `{}`", "неизвестный способ получения токена (grant type) «{}»"),
    (
        "unknown token endpoint auth method `{}` (use client_secret_basic, client_secret_post, private_key_jwt or none)",
        "неизвестный способ аутентификации приложения «{}» (допустимы client_secret_basic, client_secret_post, \
         private_key_jwt и none)",
    ),
    (
        "subject type must be public or pairwise, not `{}`",
        "тип идентификатора пользователя — public или pairwise, а не «{}»",
    ),
    // ---- domain/uri.rs (admin API)
    (
        "redirect URI must be at most 2048 characters without spaces",
        "адрес возврата (redirect URI) должен содержать не более 2048 символов и не содержать пробелов",
    ),
    ("redirect URI `{}` must not have a fragment", "адрес возврата «{}» не должен содержать фрагмент (#…)"),
    (
        "redirect URI `{}` must use https (http only on loopback)",
        "адрес возврата «{}» должен использовать https (http допускается только для локального адреса)",
    ),
    ("redirect URI scheme of `{}` is not allowed", "схема адреса возврата «{}» не допускается"),
    (
        "redirect URI `{}` must use https, loopback http, or a reverse-domain private scheme",
        "адрес возврата «{}» должен использовать https, http на локальном адресе или собственную схему \
         в виде обратного доменного имени",
    ),
    ("resource `{}` is not an absolute URI", "ресурс «{}» не является абсолютным URI"),
    ("resource `{}` must not have a fragment", "ресурс «{}» не должен содержать фрагмент (#…)"),
    (
        "audience `{}` must be a URI or visible ASCII without spaces",
        "получатель токена (audience) «{}» должен быть URI или строкой из видимых символов ASCII без пробелов",
    ),
    // ---- domain/scope.rs (scopes of a power of attorney)
    ("`{}` is not a valid scope token", "«{}» не является допустимым названием разрешения"),
    ("scopes must be separated by single spaces", "разрешения разделяются одиночными пробелами"),
    // ---- accounts.rs
    ("invalid input", "ошибка в данных"),
    ("no such account", "учётная запись не найдена"),
    (
        "a person's ИНН has 12 digits (10 digits belong to organisations)",
        "ИНН физического лица содержит 12 цифр (10 цифр — у организаций)",
    ),
    ("the date of issue is in the future", "дата выдачи не может быть в будущем"),
    ("at most 200 printable characters", "не более 200 символов, без непечатаемых знаков"),
    // MIN_PASSWORD_LEN is 8.
    ("a password has 8 to 256 characters", "пароль должен содержать от 8 до 256 символов"),
    ("this phone number already has an account", "на этот номер телефона уже зарегистрирована учётная запись"),
    (
        "confirmed identity data can only be changed at a service centre or through another confirming method",
        "подтверждённые личные данные можно изменить только в МФЦ или другим способом \
         подтверждения личности",
    ),
    (
        "already belongs to another verified account: sign in to it or ask a service centre",
        "уже указан в другой проверенной учётной записи: войдите в неё или обратитесь в МФЦ",
    ),
    ("enter your current password", "введите текущий пароль"),
    ("the current password is wrong", "текущий пароль введён неверно"),
    (
        "too many wrong passwords: try again in 15 minutes",
        "слишком много попыток ввода неверного пароля: повторите через 15 минут",
    ),
    (
        "this phone number already signs in to another account",
        "этот номер телефона уже используется для входа в другую учётную запись",
    ),
    (
        "set a password first: the phone is your only way to sign in",
        "сначала задайте пароль: сейчас телефон — ваш единственный способ входа",
    ),
    // ---- accounts/assisted.rs
    ("an account needs a phone number or identity data", "для учётной записи нужен номер телефона или личные данные"),
    (
        "an account with this phone number or SNILS already exists: find it and work with it instead",
        "учётная запись с этим номером телефона или СНИЛС уже существует: найдите её и работайте с ней",
    ),
    ("another verified account holds this SNILS", "этот СНИЛС уже указан в другой проверенной учётной записи"),
    (
        "the identity document changed after the form was printed: ask for a new form",
        "паспорт в учётной записи изменился после печати бланка: получите новый бланк",
    ),
    ("actor_token was issued to another client", "токен представителя выдан другому приложению"),
    ("temporary access cannot act for anyone", "временный доступ не позволяет действовать от имени другого лица"),
    ("temporary access has ended", "срок временного доступа истёк"),
    ("this phone number is verified on another account", "этот номер телефона уже подтверждён в другой учётной записи"),
    // ---- accounts/federated.rs
    (
        "the provider's data does not match the account",
        "данные поставщика идентификации не совпадают с данными учётной записи",
    ),
    ("the linked account no longer exists", "связанная учётная запись больше не существует"),
    (
        "this account at the provider is linked to another citizen account",
        "эта учётная запись у поставщика идентификации уже привязана к другой учётной записи",
    ),
    (
        "add a password or a phone first: this provider is your only way to sign in",
        "сначала добавьте пароль или телефон: сейчас вы можете войти только через этого поставщика",
    ),
    ("differs from the identity provider's record", "не совпадает с данными поставщика идентификации"),
    ("the account changed while signing in; try again", "учётная запись изменилась во время входа; попробуйте ещё раз"),
    // ---- accounts/registry.rs (the file registry's field reasons)
    ("does not match the registry record", "не совпадает с записью в регистре"),
    ("given in one record and missing in the other", "указано в одной записи и отсутствует в другой"),
    (
        "is not the passport on record (it may have been replaced: enter the current one)",
        "не совпадает с паспортом в регистре (возможно, паспорт был заменён: укажите действующий)",
    ),
    // ---- staff.rs
    ("your role does not allow this action", "ваша роль не позволяет выполнить это действие"),
    ("say why (the audit trail records it)", "укажите основание (оно сохраняется в журнале аудита)"),
    // StaffError::NotFound("…") displays as "… not found".
    ("account not found", "учётная запись не найдена"),
    ("application not found", "заявление не найдено"),
    ("file not found", "файл не найден"),
    ("power of attorney not found", "доверенность не найдена"),
    ("request not found", "обращение не найдено"),
    ("staff member not found", "сотрудник не найден"),
    // ---- staff/applications.rs (MAX_FILES is 5, MAX_FILE_BYTES is 5 MB; the status of
    // a decided application is `approved` or `rejected`)
    ("at most 5 files", "не более 5 файлов"),
    ("{}: larger than 5 MB", "{}: размер файла больше 5 МБ"),
    ("{}: only PDF, JPEG and PNG files are accepted", "{}: принимаются только файлы PDF, JPEG и PNG"),
    ("the application was already approved", "заявление уже одобрено"),
    ("the application was already rejected", "заявление уже отклонено"),
    ("the application was decided meanwhile", "по заявлению уже принято решение"),
    // ---- staff/attorney.rs (`offline_access` is the only scope that cannot be delegated)
    ("no application `{}` is registered", "приложение «{}» не зарегистрировано"),
    (
        "name at least one application the power covers",
        "укажите хотя бы одно приложение, на которое распространяется доверенность",
    ),
    (
        "include openid: the representative signs in to act",
        "добавьте openid: представитель входит в систему, чтобы действовать по доверенности",
    ),
    ("`offline_access` cannot be delegated", "разрешение «offline_access» нельзя передать по доверенности"),
    (
        "the period must end after it starts, and in the future",
        "дата окончания должна быть позже даты начала и не может быть в прошлом",
    ),
    (
        "give the notarial register number (at most 100 characters)",
        "укажите номер в реестре нотариальных действий (не более 100 символов)",
    ),
    ("no account found for this representative", "учётная запись представителя не найдена"),
    ("the representative must be another person", "представителем должно быть другое лицо"),
    (
        "the representative's account must be at least standard (identity known)",
        "учётная запись представителя должна быть не ниже стандартной (личность установлена)",
    ),
    ("the power of attorney was already revoked", "доверенность уже отозвана"),
    // ---- staff/citizens.rs
    ("the citizen's phone number is required", "укажите номер телефона гражданина"),
    (
        "only a Russian passport (passport_ru) can be checked here",
        "здесь можно проверить только паспорт гражданина Российской Федерации",
    ),
    ("choose SMS or reading the code out", "выберите SMS или передачу кода голосом"),
    // ---- staff/codes.rs (TEMPORARY_MAX_HOURS is 72)
    ("the code is wrong or no longer valid", "код неверен или больше не действует"),
    (
        "too many wrong codes from this address; try again in an hour",
        "слишком много неверных кодов с этого адреса; попробуйте через час",
    ),
    ("the code has not yet been presented at a post office", "код ещё не предъявлен в почтовом отделении"),
    (
        "confirmation by post is for standard accounts",
        "подтверждение через почту доступно только для стандартной учётной записи",
    ),
    ("the account has no identity document", "в учётной записи не указан документ, удостоверяющий личность"),
    ("no post confirmation code has this reference", "код подтверждения с таким номером бланка не найден"),
    ("this code was used, withdrawn or has expired", "код уже использован, отозван или срок его действия истёк"),
    ("this code was already presented", "этот код уже предъявлен"),
    ("the document is not the one this code was issued for", "код выдан на другой документ"),
    ("1 to 72 hours", "от 1 до 72 часов"),
    // ---- staff/members.rs (the role list is ROLES in order)
    (
        "3 to 64 characters: latin letters, digits, `.`, `_`, `-`",
        "от 3 до 64 символов: латинские буквы, цифры, «.», «_», «-»",
    ),
    ("give at least one role", "укажите хотя бы одну роль"),
    (
        "unknown role `{}`; roles are admin, mfc_operator, callcenter_operator, post_operator, partner, support, auditor",
        "неизвестная роль «{}»; допустимые роли: admin, mfc_operator, callcenter_operator, post_operator, partner, \
         support, auditor",
    ),
    ("give the member's name (at most 200 characters)", "укажите имя сотрудника (не более 200 символов)"),
    (
        "give the office or organisation (at most 200 characters)",
        "укажите офис или организацию (не более 200 символов)",
    ),
    ("this user name is taken", "этот логин уже занят"),
    ("wrong user name or password", "неверный логин или пароль"),
    ("too many failures; try again later", "слишком много неудачных попыток; попробуйте позже"),
    // ---- staff/support.rs (limits of 200 and 2000 characters)
    ("required", "обязательное поле"),
    ("at most {} characters", "не более {} символов"),
    (
        "too many requests from this address; call the support line",
        "слишком много обращений с этого адреса; позвоните в службу поддержки",
    ),
    ("the request is resolved", "обращение уже закрыто"),
    ("the request is already at the escalation tier", "обращение уже передано на последний уровень поддержки"),
    ("the request changed meanwhile; reload it", "обращение уже изменено; обновите страницу"),
    // ---- login.rs, login/otp.rs, login/passkey.rs
    ("too many failed attempts", "слишком много неудачных попыток"),
    ("wait {} s before asking for another code", "новый код можно запросить через {} с"),
    ("too many codes requested", "слишком много запросов кода"),
    ("too many wrong codes", "слишком много неверных кодов"),
    ("wrong code", "неверный код"),
    ("the code expired", "срок действия кода истёк"),
    ("the SMS could not be sent", "не удалось отправить SMS"),
    (
        "passkeys are not available: the issuer's host must be a domain name",
        "вход по ключу доступа недоступен: адрес сервиса должен быть доменным именем",
    ),
    ("the passkey request expired; try again", "запрос ключа доступа устарел; попробуйте ещё раз"),
    ("the passkey was not accepted", "ключ доступа не принят"),
    (
        "too many failed passkey attempts; try again later",
        "слишком много неудачных попыток входа по ключу доступа; попробуйте позже",
    ),
];

/// The reason in the page's language: English as given, Russian from the table; an
/// unknown reason stays English.
///
/// `english` is a reason exactly as the service or domain layer wrote it, e.g. a
/// `FieldMismatch::reason` or the text of a refusal. A dynamic part (`photo.gif` in
/// `photo.gif: only PDF, JPEG and PNG files are accepted`) is kept as it is.
pub fn reason(locale: Locale, english: &str) -> String {
    match locale {
        Locale::En => english.to_owned(),
        Locale::Ru => russian(english).unwrap_or_else(|| english.to_owned()),
    }
}

/// The Russian wording of `english`, if the table has it: a whole-reason entry first,
/// else the first pattern whose text around `{}` matches, with a non-empty part between.
fn russian(english: &str) -> Option<String> {
    let whole = REASONS.iter().find(|(en, _)| !en.contains(SLOT) && *en == english);
    if let Some((_, ru)) = whole {
        return Some((*ru).to_owned());
    }
    REASONS.iter().find_map(|(en, ru)| {
        let (prefix, suffix) = en.split_once(SLOT)?;
        let part = english.strip_prefix(prefix)?.strip_suffix(suffix)?;
        (!part.is_empty()).then(|| ru.replacen(SLOT, part, 1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ru(english: &str) -> String {
        reason(Locale::Ru, english)
    }

    #[test]
    fn whole_reasons_are_translated() {
        assert_eq!(ru("the date of issue is in the future"), "дата выдачи не может быть в будущем");
        assert_eq!(ru("СНИЛС must have 11 digits"), "СНИЛС должен содержать 11 цифр");
        assert_eq!(ru("no such account"), "учётная запись не найдена");
        assert_eq!(ru("wrong code"), "неверный код");
    }

    #[test]
    fn the_dynamic_part_is_carried_over() {
        assert_eq!(
            ru("photo.gif: only PDF, JPEG and PNG files are accepted"),
            "photo.gif: принимаются только файлы PDF, JPEG и PNG"
        );
        assert_eq!(ru("скан паспорта.pdf: larger than 5 MB"), "скан паспорта.pdf: размер файла больше 5 МБ");
        assert_eq!(ru("2025-02-30 is not a date that exists"), "даты 2025-02-30 не существует");
        assert_eq!(ru("wait 42 s before asking for another code"), "новый код можно запросить через 42 с");
        assert_eq!(ru("at most 2000 characters"), "не более 2000 символов");
    }

    #[test]
    fn a_whole_reason_wins_over_a_pattern_that_also_matches() {
        assert_eq!(ru("at most 200 printable characters"), "не более 200 символов, без непечатаемых знаков");
        assert_eq!(
            ru("`offline_access` cannot be delegated"),
            "разрешение «offline_access» нельзя передать по доверенности"
        );
    }

    #[test]
    fn english_pages_get_the_reason_unchanged() {
        for (en, _) in REASONS {
            assert_eq!(reason(Locale::En, en), *en);
        }
        let typed = "photo.gif: only PDF, JPEG and PNG files are accepted";
        assert_eq!(reason(Locale::En, typed), typed);
    }

    #[test]
    fn unknown_reasons_stay_english() {
        for unknown in [
            "the registry timed out",
            "",
            ": only PDF, JPEG and PNG files are accepted",
            "photo.gif: only PDF files are accepted",
            "the date of issue is in the future!",
        ] {
            assert_eq!(ru(unknown), unknown);
        }
    }

    #[test]
    fn every_entry_has_at_most_one_slot_on_both_sides_and_some_russian() {
        for (en, wording) in REASONS {
            let slots = en.matches(SLOT).count();
            assert!(slots <= 1, "{en:?} has {slots} slots");
            assert_eq!(wording.matches(SLOT).count(), slots, "{en:?} and {wording:?} differ in slots");
            assert!(wording.chars().any(|c| matches!(c, 'а'..='я' | 'А'..='Я' | 'ё')), "{wording:?} is not Russian");
        }
    }

    #[test]
    fn every_entry_is_reachable_and_english_is_unique() {
        for (i, (en, wording)) in REASONS.iter().enumerate() {
            assert!(REASONS[..i].iter().all(|(earlier, _)| earlier != en), "{en:?} is listed twice");
            let sample = en.replacen(SLOT, "X-1", 1);
            assert_eq!(ru(&sample), wording.replacen(SLOT, "X-1", 1), "{en:?} is shadowed by another entry");
        }
    }

    #[test]
    fn reasons_built_from_constants_are_in_the_table() {
        use crate::staff::applications::{MAX_FILE_BYTES, MAX_FILES};
        let roles: Vec<&str> = crate::staff::ROLES.iter().map(|r| r.as_str()).collect();
        for built in [
            format!("a password has {} to 256 characters", crate::accounts::MIN_PASSWORD_LEN),
            format!("at most {MAX_FILES} files"),
            format!("scan.pdf: larger than {} MB", MAX_FILE_BYTES / (1024 * 1024)),
            format!("1 to {} hours", crate::staff::codes::TEMPORARY_MAX_HOURS),
            format!("unknown role `boss`; roles are {}", roles.join(", ")),
        ] {
            assert_ne!(ru(&built), built, "no Russian for {built:?}");
        }
    }

    #[test]
    fn what_the_domain_and_the_identity_form_say_is_in_the_table() {
        use crate::accounts::{Identity, IdentityForm};
        use crate::domain::{ClientId, Date, Gender, Inn, Passport, PersonName, Phone, Scopes, Snils, birth_date};
        let today = Date { year: 2026, month: 12, day: 4 };
        let mut said: Vec<String> = [
            Snils::parse("112-233-445").err(),
            Snils::parse("112-233-445 96").err(),
            Snils::parse("112-233-445 9x").err(),
            Inn::parse("12345").err(),
            Inn::parse("7707083894").err(),
            Inn::parse("77070838 93").err(),
            Passport::parse("4508 12345").err(),
            Passport::parse("0000 123456").err(),
            Passport::parse("45О8 123456").err(),
            Date::parse("1990/01/01").err(),
            Date::parse("1981-02-29").err(),
            birth_date("2027-01-01", today).err(),
            birth_date("1890-01-01", today).err(),
            Phone::parse("8-800-abc").err(),
            Phone::parse("12345").err(),
            Phone::parse("+7 916 123 45").err(),
            Gender::parse("x").err(),
            PersonName::parse("", "Иван", None).err(),
            PersonName::parse("Иванов", "", None).err(),
            PersonName::parse("Иванов", "Иван", Some("П3")).err(),
            ClientId::parse("").err(),
            ClientId::parse("a b").err(),
            Scopes::parse("a\tb").err(),
            Scopes::parse("чтение").err(),
        ]
        .into_iter()
        .map(|e| e.map(|e| e.0).unwrap_or_default())
        .collect();
        let form = IdentityForm {
            family_name: "Фёдоров".into(),
            given_name: "Алексей2".into(),
            middle_name: "Петрович".into(),
            birthdate: "1981-02-29".into(),
            gender: "x".into(),
            snils: "112-233-445 96".into(),
            inn: "7707083893".into(),
            passport: "4508 12345".into(),
            passport_issue_date: "2030-01-01".into(),
            passport_issuer: "ОВД".repeat(100),
        };
        let fields = Identity::parse(&form, today).err().unwrap_or_default();
        assert_eq!(fields.len(), 8, "{fields:?}");
        said.extend(fields.into_iter().map(|f| f.reason));
        for english in said {
            assert!(!english.is_empty(), "a bad value was accepted");
            assert_ne!(ru(&english), english, "no Russian for {english:?}");
        }
    }
}

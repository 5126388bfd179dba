//! Texts of the citizen pages: registration, SMS codes, step-up and the profile.

use super::Locale;

/// Every fixed string the citizen pages show.
pub struct CitizenTexts {
    /// Link on the sign-in page.
    pub sms_sign_in: &'static str,
    /// Link on the sign-in page.
    pub create_account: &'static str,
    /// Phone label.
    pub phone: &'static str,
    /// Button.
    pub send_code: &'static str,
    /// Page title.
    pub sms_title: &'static str,
    /// Page title.
    pub signup_title: &'static str,
    /// Page title.
    pub change_phone_title: &'static str,
    /// Page title.
    pub step_up_title: &'static str,
    /// Step-up explanation, before the masked number.
    pub step_up_text: &'static str,
    /// Code page title.
    pub code_title: &'static str,
    /// Before the masked number.
    pub code_sent_to: &'static str,
    /// Code label.
    pub code: &'static str,
    /// Button.
    pub confirm: &'static str,
    /// Button.
    pub resend: &'static str,
    /// Wrong code.
    pub wrong_code: &'static str,
    /// Expired or exhausted code.
    pub code_expired: &'static str,
    /// Before the seconds to wait.
    pub cooldown: &'static str,
    /// Too many sends.
    pub too_many_codes: &'static str,
    /// Locked number, before the time.
    pub otp_locked: &'static str,
    /// What to do when locked.
    pub otp_locked_recovery: &'static str,
    /// Gateway failure.
    pub sms_failed: &'static str,
    /// Bad phone number.
    pub bad_phone: &'static str,
    /// Password label at registration.
    pub new_password: &'static str,
    /// Hint under it.
    pub passwordless_hint: &'static str,
    /// Button.
    pub create: &'static str,
    /// Account level label.
    pub level_label: &'static str,
    /// Section.
    pub personal_data: &'static str,
    /// Button.
    pub save_and_check: &'static str,
    /// Section.
    pub methods: &'static str,
    /// No phone.
    pub no_phone: &'static str,
    /// Verified marker.
    pub verified: &'static str,
    /// Button.
    pub change_phone: &'static str,
    /// Button.
    pub remove_phone: &'static str,
    /// Password present.
    pub password_set: &'static str,
    /// No password.
    pub password_none: &'static str,
    /// Label.
    pub current_password: &'static str,
    /// Button.
    pub change_password: &'static str,
    /// Section.
    pub sessions: &'static str,
    /// Marker.
    pub this_session: &'static str,
    /// Button.
    pub end_session: &'static str,
    /// Section.
    pub history: &'static str,
    /// Gender not given.
    pub gender_unset: &'static str,
    /// Female.
    pub female: &'static str,
    /// Male.
    pub male: &'static str,
    /// Form errors heading.
    pub fix_fields: &'static str,
    /// Saved notice.
    pub saved: &'static str,
    /// Level too low for a step-up.
    pub back_to_app: &'static str,
    /// Button prefix.
    pub sign_in_with: &'static str,
    /// Section.
    pub linked_accounts: &'static str,
    /// Button.
    pub link: &'static str,
    /// Link.
    pub back_to_sign_in: &'static str,
    /// Linked marker.
    pub linked: &'static str,
    /// Button.
    pub passkey_sign_in: &'static str,
    /// Section.
    pub passkeys: &'static str,
    /// Explanation.
    pub passkeys_text: &'static str,
    /// Label.
    pub passkey_name: &'static str,
    /// Button.
    pub passkey_add: &'static str,
    /// Label.
    pub passkey_used: &'static str,
    /// Button.
    pub remove: &'static str,
    /// QR section.
    pub qr_heading: &'static str,
    /// QR explanation.
    pub qr_text: &'static str,
    /// QR image.
    pub qr_alt: &'static str,
    /// Button.
    pub qr_continue: &'static str,
    /// Phone page title.
    pub qr_title: &'static str,
    /// Phone warning.
    pub qr_warning: &'static str,
    /// Label.
    pub qr_device: &'static str,
    /// Label.
    pub qr_address: &'static str,
    /// Label.
    pub qr_app: &'static str,
    /// Label.
    pub qr_when: &'static str,
    /// Button.
    pub qr_approve: &'static str,
    /// Button.
    pub qr_reject: &'static str,
    /// Phone not signed in.
    pub qr_sign_in_first: &'static str,
    /// Gone.
    pub qr_expired: &'static str,
    /// Rejected.
    pub qr_rejected: &'static str,
    /// Pending.
    pub qr_pending: &'static str,
    /// Phone done.
    pub qr_done_phone: &'static str,
    /// Page title.
    pub device_title: &'static str,
    /// Explanation.
    pub device_text: &'static str,
    /// Label.
    pub user_code: &'static str,
    /// Button.
    pub continue_button: &'static str,
    /// Error.
    pub device_unknown: &'static str,
    /// Error.
    pub device_guesses: &'static str,
    /// Notice.
    pub device_approved: &'static str,
    /// Notice.
    pub device_denied: &'static str,
    /// Button.
    pub unlink: &'static str,
    /// Link.
    pub back_to_account: &'static str,
    /// Federation failure.
    pub fed_state: &'static str,
    /// Federation failure.
    pub fed_upstream: &'static str,
    /// Federation failure.
    pub fed_unreachable: &'static str,
    /// Federation failure.
    pub fed_invalid: &'static str,
    /// Federation failure.
    pub fed_conflict: &'static str,
}

static RU: CitizenTexts = CitizenTexts {
    sms_sign_in: "Войти по коду из SMS",
    create_account: "Зарегистрироваться",
    phone: "Номер телефона",
    send_code: "Получить код",
    sms_title: "Вход по коду из SMS",
    signup_title: "Регистрация",
    change_phone_title: "Новый номер телефона",
    step_up_title: "Подтвердите вход",
    step_up_text: "Приложению нужно дополнительное подтверждение. Мы отправим код на номер",
    code_title: "Введите код",
    code_sent_to: "Мы отправили SMS на номер",
    code: "Код из SMS",
    confirm: "Подтвердить",
    resend: "Отправить код ещё раз",
    wrong_code: "Неверный код.",
    code_expired: "Код устарел или попытки исчерпаны. Запросите новый код.",
    cooldown: "Новый код можно запросить через (секунд):",
    too_many_codes: "Слишком много запросов кода. Попробуйте позже.",
    otp_locked: "Слишком много неверных кодов. Вход по SMS для этого номера приостановлен до (UTC):",
    otp_locked_recovery: "Войдите по паролю или обратитесь в службу поддержки, чтобы восстановить доступ.",
    sms_failed: "Не удалось отправить SMS. Попробуйте ещё раз через минуту.",
    bad_phone: "Введите номер в формате +7 и 10 цифр.",
    new_password: "Пароль (не менее 8 символов)",
    passwordless_hint: "Можно оставить пустым и входить только по коду из SMS.",
    create: "Создать учётную запись",
    level_label: "Уровень учётной записи",
    personal_data: "Личные данные",
    save_and_check: "Сохранить и проверить",
    methods: "Способы входа",
    no_phone: "Телефон не указан",
    verified: "подтверждён",
    change_phone: "Сменить номер",
    remove_phone: "Удалить номер",
    password_set: "Пароль задан",
    password_none: "Пароль не задан: вход только по SMS",
    current_password: "Текущий пароль",
    change_password: "Сохранить пароль",
    sessions: "Активные сеансы",
    this_session: "этот сеанс",
    end_session: "Завершить",
    history: "История подтверждения",
    gender_unset: "не указан",
    female: "женский",
    male: "мужской",
    fix_fields: "Исправьте поля:",
    saved: "Сохранено.",
    back_to_app: "Вернуться в приложение",
    sign_in_with: "Войти через",
    linked_accounts: "Связанные учётные записи",
    link: "Связать",
    back_to_sign_in: "Вернуться ко входу",
    linked: "связана",
    passkey_sign_in: "Войти с ключом доступа (отпечаток, лицо или PIN устройства)",
    passkeys: "Ключи доступа (passkeys)",
    passkeys_text: "Вход по отпечатку, лицу или PIN-коду вашего устройства. Биометрические данные не покидают устройство.",
    passkey_name: "Название ключа (например, «Мой телефон»)",
    passkey_add: "Добавить ключ доступа",
    passkey_used: "использован",
    remove: "Удалить",
    qr_heading: "Вход с телефона",
    qr_text: "Отсканируйте код телефоном, на котором вы уже вошли, или откройте на нём ссылку:",
    qr_alt: "QR-код для входа",
    qr_continue: "Я подтвердил вход на телефоне",
    qr_title: "Вход на другом устройстве",
    qr_warning: "Разрешайте, только если вы сами сейчас входите на этом устройстве.",
    qr_device: "Устройство",
    qr_address: "Адрес",
    qr_app: "Приложение",
    qr_when: "Время (UTC)",
    qr_approve: "Разрешить вход",
    qr_reject: "Отклонить",
    qr_sign_in_first: "Сначала войдите на этом телефоне, затем откройте ссылку снова.",
    qr_expired: "Код входа устарел или уже использован. Обновите страницу входа.",
    qr_rejected: "Вход отклонён на телефоне.",
    qr_pending: "Вход ещё не подтверждён на телефоне.",
    qr_done_phone: "Готово. Продолжайте на другом устройстве.",
    device_title: "Вход на устройстве",
    device_text: "Введите код, который показывает экран терминала, телевизора или киоска.",
    user_code: "Код с экрана устройства",
    continue_button: "Продолжить",
    device_unknown: "Код не найден или устарел. Проверьте код на экране устройства.",
    device_guesses: "Слишком много неверных кодов. Попробуйте через 15 минут.",
    device_approved: "Готово. Вернитесь к устройству: вход выполнится в течение нескольких секунд.",
    device_denied: "Вход на устройстве отклонён.",
    unlink: "Отвязать",
    back_to_account: "Вернуться в личный кабинет",
    fed_state: "Вход устарел или был начат в другом браузере. Начните заново.",
    fed_upstream: "Поставщик входа отказал во входе.",
    fed_unreachable: "Поставщик входа сейчас недоступен. Попробуйте позже или войдите другим способом.",
    fed_invalid: "Поставщик входа вернул некорректный ответ. Войдите другим способом.",
    fed_conflict: "Данные поставщика входа не совпадают с данными вашей учётной записи:",
};

static EN: CitizenTexts = CitizenTexts {
    sms_sign_in: "Sign in with an SMS code",
    create_account: "Create an account",
    phone: "Phone number",
    send_code: "Send code",
    sms_title: "Sign in with an SMS code",
    signup_title: "Create an account",
    change_phone_title: "New phone number",
    step_up_title: "Confirm it is you",
    step_up_text: "The application needs an extra confirmation. We will send a code to",
    code_title: "Enter the code",
    code_sent_to: "We sent an SMS to",
    code: "Code from the SMS",
    confirm: "Confirm",
    resend: "Send the code again",
    wrong_code: "Wrong code.",
    code_expired: "The code expired or has no attempts left. Ask for a new one.",
    cooldown: "You can ask for a new code in (seconds):",
    too_many_codes: "Too many codes requested. Try again later.",
    otp_locked: "Too many wrong codes. SMS sign-in for this number is paused until (UTC):",
    otp_locked_recovery: "Sign in with your password, or contact support to restore access.",
    sms_failed: "The SMS could not be sent. Try again in a minute.",
    bad_phone: "Enter the number as +7 and 10 digits.",
    new_password: "Password (at least 8 characters)",
    passwordless_hint: "You may leave it empty and sign in with SMS codes only.",
    create: "Create the account",
    level_label: "Account level",
    personal_data: "Personal data",
    save_and_check: "Save and verify",
    methods: "Sign-in methods",
    no_phone: "No phone number",
    verified: "verified",
    change_phone: "Change number",
    remove_phone: "Remove number",
    password_set: "A password is set",
    password_none: "No password: SMS sign-in only",
    current_password: "Current password",
    change_password: "Save password",
    sessions: "Active sessions",
    this_session: "this session",
    end_session: "End",
    history: "Verification history",
    gender_unset: "not given",
    female: "female",
    male: "male",
    fix_fields: "Please correct:",
    saved: "Saved.",
    back_to_app: "Back to the application",
    sign_in_with: "Sign in with",
    linked_accounts: "Linked accounts",
    link: "Link",
    back_to_sign_in: "Back to sign-in",
    linked: "linked",
    passkey_sign_in: "Sign in with a passkey (your device's fingerprint, face or PIN)",
    passkeys: "Passkeys",
    passkeys_text: "Sign in with your device's fingerprint, face or PIN. Biometric data never leaves the device.",
    passkey_name: "Passkey name (e.g. “My phone”)",
    passkey_add: "Add a passkey",
    passkey_used: "used",
    remove: "Remove",
    qr_heading: "Sign in with your phone",
    qr_text: "Scan the code with a phone where you are signed in, or open this link on it:",
    qr_alt: "QR code for signing in",
    qr_continue: "I have approved on my phone",
    qr_title: "Sign-in on another device",
    qr_warning: "Approve only if you are signing in on that device yourself right now.",
    qr_device: "Device",
    qr_address: "Address",
    qr_app: "Application",
    qr_when: "Time (UTC)",
    qr_approve: "Approve sign-in",
    qr_reject: "Reject",
    qr_sign_in_first: "Sign in on this phone first, then open the link again.",
    qr_expired: "This sign-in code expired or was used. Reload the sign-in page.",
    qr_rejected: "The sign-in was rejected on the phone.",
    qr_pending: "The sign-in has not been approved on the phone yet.",
    qr_done_phone: "Done. Continue on the other device.",
    device_title: "Sign in on a device",
    device_text: "Enter the code shown on the terminal, TV or kiosk screen.",
    user_code: "Code from the device screen",
    continue_button: "Continue",
    device_unknown: "This code is unknown or expired. Check the code on the device screen.",
    device_guesses: "Too many wrong codes. Try again in 15 minutes.",
    device_approved: "Done. Return to the device: it will sign in within a few seconds.",
    device_denied: "The device sign-in was denied.",
    unlink: "Unlink",
    back_to_account: "Back to your account",
    fed_state: "The sign-in expired or was started in another browser. Start again.",
    fed_upstream: "The identity provider refused the sign-in.",
    fed_unreachable: "The identity provider cannot be reached now. Try later or sign in another way.",
    fed_invalid: "The identity provider sent an invalid answer. Sign in another way.",
    fed_conflict: "The identity provider's data does not match your account:",
};

impl Locale {
    /// The citizen-page texts.
    pub fn citizen(self) -> &'static CitizenTexts {
        match self {
            Self::Ru => &RU,
            Self::En => &EN,
        }
    }
}

fn pick(locale: Locale, ru: &'static str, en: &'static str) -> &'static str {
    match locale {
        Locale::Ru => ru,
        Locale::En => en,
    }
}

/// The label of an identity field (claim names).
pub fn field_label(locale: Locale, field: &str) -> &'static str {
    match field {
        "family_name" => pick(locale, "Фамилия", "Family name"),
        "given_name" => pick(locale, "Имя", "Given name"),
        "middle_name" => pick(locale, "Отчество", "Patronymic"),
        "birthdate" => pick(locale, "Дата рождения", "Date of birth"),
        "gender" => pick(locale, "Пол", "Gender"),
        "snils" => pick(locale, "СНИЛС", "SNILS"),
        "inn" => pick(locale, "ИНН", "INN"),
        "id_document" => pick(locale, "Паспорт: серия и номер", "Passport series and number"),
        "passport_issue_date" => pick(locale, "Дата выдачи паспорта", "Passport date of issue"),
        "passport_issuer" => pick(locale, "Кем выдан", "Issued by"),
        "phone_number" => pick(locale, "Телефон", "Phone"),
        "password" => pick(locale, "Пароль", "Password"),
        "current_password" => pick(locale, "Текущий пароль", "Current password"),
        "passport" | "document" => pick(locale, "Паспорт: серия и номер", "Passport series and number"),
        "phone" => pick(locale, "Телефон", "Phone"),
        "reason" => pick(locale, "Основание", "Reason"),
        "files" => pick(locale, "Файлы", "Files"),
        "reference" => pick(locale, "Номер бланка", "Form reference"),
        "hours" => pick(locale, "Срок, часов", "Hours"),
        "delivery" => pick(locale, "Способ передачи кода", "Code delivery"),
        "document_type" => pick(locale, "Вид документа", "Document type"),
        "principal" => pick(locale, "Доверитель", "Principal"),
        "representative" => pick(locale, "Представитель", "Representative"),
        "clients" => pick(locale, "Приложения", "Applications"),
        "scopes" => pick(locale, "Разрешения", "Scopes"),
        "valid_from" => pick(locale, "Действует с", "Valid from"),
        "valid_until" => pick(locale, "Действует по", "Valid until"),
        "document_ref" => pick(locale, "Реестровый номер доверенности", "Notarial register number"),
        "contact" => pick(locale, "Контакт", "Contact"),
        "description" => pick(locale, "Описание", "Description"),
        "decision" => pick(locale, "Решение", "Decision"),
        "username" => pick(locale, "Логин", "User name"),
        "display_name" => pick(locale, "Имя сотрудника", "Member's name"),
        "roles" => pick(locale, "Роли", "Roles"),
        "office" => pick(locale, "Офис", "Office"),
        "code" => pick(locale, "Код", "Code"),
        _ => pick(locale, "Поле", "Field"),
    }
}

/// The name of an account level.
pub fn level_name(locale: Locale, level: &str) -> &'static str {
    match level {
        "standard" => pick(locale, "стандартная", "standard"),
        "confirmed" => pick(locale, "подтверждённая", "confirmed"),
        _ => pick(locale, "упрощённая", "simplified"),
    }
}

/// The registry-check state in words.
pub fn registry_status(locale: Locale, status: &str) -> &'static str {
    match status {
        "pending" => pick(locale, "Идёт проверка данных…", "Verification in progress…"),
        "matched" => pick(locale, "Данные подтверждены в регистре.", "The registry confirmed your data."),
        "mismatch" => pick(locale, "Данные не совпали с регистром:", "Your data does not match the registry:"),
        "not_found" => pick(
            locale,
            "Запись в регистре не найдена: проверьте СНИЛС.",
            "The registry has no record for this SNILS: check it.",
        ),
        "error" => pick(
            locale,
            "Регистр не ответил. Сохраните данные ещё раз, чтобы повторить проверку.",
            "The registry did not answer. Save again to retry the check.",
        ),
        _ => pick(locale, "Проверка данных на этом сервере недоступна.", "Data verification is not available here."),
    }
}

/// How a level was reached, in words.
pub fn method_name(locale: Locale, method: &str) -> &'static str {
    match method {
        "phone_code" => pick(locale, "телефон подтверждён кодом из SMS", "phone verified by SMS code"),
        "registry" => pick(locale, "данные проверены в государственном регистре", "data checked in the state registry"),
        "bank" => pick(locale, "подтверждено банком", "confirmed by a bank"),
        "qes" => {
            pick(locale, "подтверждено квалифицированной электронной подписью", "confirmed by a qualified signature")
        }
        "in_person" => pick(locale, "подтверждено лично в центре обслуживания", "confirmed in person"),
        "data_changed" => pick(locale, "данные изменены, нужна новая проверка", "data changed, a new check is needed"),
        _ => pick(locale, "другое", "other"),
    }
}

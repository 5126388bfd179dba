//! Citizen identity data, validated at the boundary: SNILS and INN with their check
//! digits, passport series and number, plausible birth dates, phone numbers in E.164,
//! and names compared in a normalised form while stored exactly as entered.

use std::fmt;

use super::DomainError;

fn digits_of(raw: &str, allowed_separators: &[char]) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for c in raw.chars() {
        if let Some(d) = c.to_digit(10) {
            out.push(d);
        } else if !allowed_separators.contains(&c) {
            return None;
        }
    }
    Some(out)
}

/// СНИЛС: 11 digits whose last two check the first nine.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Snils(String);

impl Snils {
    /// Parses `123-456-789 64`, `12345678964` and similar.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let d = digits_of(raw, &[' ', '-'])
            .ok_or_else(|| DomainError::new("СНИЛС may contain only digits, spaces and hyphens"))?;
        if d.len() != 11 {
            return Err(DomainError::new("СНИЛС must have 11 digits"));
        }
        let number: u32 = d[..9].iter().fold(0, |acc, x| acc * 10 + x);
        let check = d[9] * 10 + d[10];
        // Check digits apply to numbers above 001-001-998.
        if number > 1_001_998 {
            let sum: u32 = d[..9].iter().enumerate().map(|(i, x)| x * (9 - i as u32)).sum();
            let expected = match sum {
                s if s < 100 => s,
                100 | 101 => 0,
                s => (s % 101) % 100,
            };
            if expected != check {
                return Err(DomainError::new("СНИЛС check digits do not match"));
            }
        }
        Ok(Self(d.iter().map(|x| char::from_digit(*x, 10).expect("digit")).collect()))
    }

    /// The 11 digits.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Snils {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        write!(f, "{}-{}-{} {}", &s[0..3], &s[3..6], &s[6..9], &s[9..11])
    }
}

/// ИНН: 10 digits (organisation) or 12 digits (person), with check digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Inn(String);

fn weighted(d: &[u32], weights: &[u32]) -> u32 {
    (d.iter().zip(weights).map(|(x, w)| x * w).sum::<u32>() % 11) % 10
}

impl Inn {
    /// Parses a 10- or 12-digit ИНН.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let d = digits_of(raw.trim(), &[]).ok_or_else(|| DomainError::new("ИНН may contain only digits"))?;
        let valid = match d.len() {
            10 => weighted(&d, &[2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9],
            12 => {
                weighted(&d, &[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10]
                    && weighted(&d, &[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
            }
            _ => return Err(DomainError::new("ИНН must have 10 or 12 digits")),
        };
        if !valid {
            return Err(DomainError::new("ИНН check digits do not match"));
        }
        Ok(Self(raw.trim().to_owned()))
    }

    /// Whether it belongs to a person (12 digits).
    pub fn is_personal(&self) -> bool {
        self.0.len() == 12
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Russian internal passport: series of 4 digits, number of 6 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Passport {
    /// Series, 4 digits.
    pub series: String,
    /// Number, 6 digits.
    pub number: String,
}

impl Passport {
    /// Parses `45 08 123456`, `4508 123456` or `4508123456`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let d = digits_of(raw, &[' ', '-', '№'])
            .ok_or_else(|| DomainError::new("passport series and number are digits"))?;
        if d.len() != 10 {
            return Err(DomainError::new("passport series (4 digits) and number (6 digits) make 10 digits"));
        }
        let text: String = d.iter().map(|x| char::from_digit(*x, 10).expect("digit")).collect();
        if text[..4] == *"0000" || text[4..] == *"000000" {
            return Err(DomainError::new("passport series or number cannot be all zeros"));
        }
        Ok(Self { series: text[..4].to_owned(), number: text[4..].to_owned() })
    }
}

/// A calendar date `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// Day 1–31.
    pub day: u32,
}

impl Date {
    fn days_in_month(year: i32, month: u32) -> u32 {
        match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            2 => 28,
            _ => 0,
        }
    }

    /// Parses `YYYY-MM-DD` or `DD.MM.YYYY`; the date must exist.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let raw = raw.trim();
        let parts: Vec<&str> =
            if raw.contains('-') { raw.split('-').collect() } else { raw.split('.').rev().collect() };
        let bad = || DomainError::new("dates are YYYY-MM-DD or DD.MM.YYYY");
        let [y, m, d] = parts.as_slice() else { return Err(bad()) };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let (year, month, day) =
            (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
        if day == 0 || day > Self::days_in_month(year, month) {
            return Err(DomainError::new(format!("{raw} is not a date that exists")));
        }
        Ok(Self { year, month, day })
    }

    /// Today's date in UTC.
    pub fn today() -> Self {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        Self::from_unix_days((secs / 86_400) as i64)
    }

    /// The civil date of a day count since 1970-01-01 (Hinnant's algorithm).
    pub fn from_unix_days(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }

    /// Days since 1970-01-01 (the inverse of [`Date::from_unix_days`]).
    pub fn unix_days(&self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let yoe = year - era * 400;
        let month = i64::from(self.month);
        let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Unix seconds at 00:00 UTC of this date.
    pub fn unix_midnight(&self) -> i64 {
        self.unix_days() * 86_400
    }

    /// Whole years from `self` to `on`.
    pub fn years_until(&self, on: Date) -> i32 {
        let mut years = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            years -= 1;
        }
        years
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Unix seconds as an RFC 3339 UTC timestamp.
pub fn rfc3339(secs: i64) -> String {
    let date = Date::from_unix_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!("{date}T{:02}:{:02}:{:02}Z", t / 3600, t % 3600 / 60, t % 60)
}

/// A birth date that exists, is not in the future and is plausible for a living
/// person (at most 130 years ago).
pub fn birth_date(raw: &str, today: Date) -> Result<Date, DomainError> {
    let date = Date::parse(raw)?;
    if date > today {
        return Err(DomainError::new("the birth date is in the future"));
    }
    if date.years_until(today) > 130 {
        return Err(DomainError::new("the birth date is more than 130 years ago"));
    }
    Ok(date)
}

/// A phone number in E.164 (`+79161234567`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Parses Russian national forms (`8 916 123-45-67`, `+7 (916) 123-45-67`) and
    /// international `+CC…` numbers.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        let plus = trimmed.starts_with('+');
        let body = trimmed.trim_start_matches('+');
        let d = digits_of(body, &[' ', '-', '(', ')', '.'])
            .ok_or_else(|| DomainError::new("a phone number has digits, spaces, hyphens and brackets only"))?;
        let text: String = d.iter().map(|x| char::from_digit(*x, 10).expect("digit")).collect();
        let e164 = match (plus, text.len(), text.chars().next()) {
            (false, 11, Some('8' | '7')) => format!("+7{}", &text[1..]),
            (false, 10, Some('9')) => format!("+7{text}"),
            (true, 8..=15, Some(first)) if first != '0' => format!("+{text}"),
            _ => return Err(DomainError::new("not a phone number: use +7 and 10 digits, or an international +number")),
        };
        if e164.starts_with("+7") && e164.len() != 12 {
            return Err(DomainError::new("Russian numbers have 10 digits after +7"));
        }
        Ok(Self(e164))
    }

    /// The E.164 form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as entered, with a normalised form for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName {
    /// Family name as entered.
    pub family: String,
    /// Given name as entered.
    pub given: String,
    /// Patronymic as entered (may be absent).
    pub patronymic: Option<String>,
}

/// Latin letters that look like Cyrillic ones, as typed by mistake.
const LOOKALIKES: [(char, char); 12] = [
    ('a', 'а'),
    ('e', 'е'),
    ('o', 'о'),
    ('p', 'р'),
    ('c', 'с'),
    ('x', 'х'),
    ('y', 'у'),
    ('k', 'к'),
    ('m', 'м'),
    ('t', 'т'),
    ('h', 'н'),
    ('b', 'в'),
];

/// The comparison form of one name part: lower case, ё as е, Latin look-alikes as
/// Cyrillic in otherwise Cyrillic words, single spaces, hyphens and dashes as `-`
/// without spaces around them.
pub fn normalise_name(raw: &str) -> String {
    let lower = raw.trim().to_lowercase().replace('ё', "е");
    let dashed: String = lower.chars().map(|c| if matches!(c, '–' | '—' | '‐' | '‑') { '-' } else { c }).collect();
    let words: Vec<String> = dashed
        .split_whitespace()
        .map(|word| {
            let cyrillic = word.chars().any(|c| ('а'..='я').contains(&c));
            if cyrillic {
                word.chars().map(|c| LOOKALIKES.iter().find(|(l, _)| *l == c).map_or(c, |(_, cy)| *cy)).collect()
            } else {
                word.to_owned()
            }
        })
        .collect();
    words.join(" ").replace(" - ", "-").replace(" -", "-").replace("- ", "-")
}

/// One field that differs between two records, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Which field.
    pub field: &'static str,
    /// Why, in words fit to show the citizen and the operator.
    pub reason: String,
}

impl PersonName {
    /// Builds a name; family and given names are required, each at most 100 characters
    /// of letters, spaces, hyphens and apostrophes.
    pub fn parse(family: &str, given: &str, patronymic: Option<&str>) -> Result<Self, DomainError> {
        let check = |field: &str, value: &str| -> Result<String, DomainError> {
            let value = value.trim();
            let ok = |c: char| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '–' | '—' | '.');
            if value.is_empty() || value.chars().count() > 100 || !value.chars().all(ok) {
                return Err(DomainError::new(format!(
                    "{field} must be 1 to 100 letters (spaces, hyphens and apostrophes allowed)"
                )));
            }
            Ok(value.to_owned())
        };
        Ok(Self {
            family: check("family name", family)?,
            given: check("given name", given)?,
            patronymic: patronymic.filter(|p| !p.trim().is_empty()).map(|p| check("patronymic", p)).transpose()?,
        })
    }

    /// The fields that differ after normalisation, each with the reason.
    pub fn compare(&self, other: &PersonName) -> Vec<Mismatch> {
        let mut out = Vec::new();
        let mut field = |name: &'static str, a: Option<&str>, b: Option<&str>| match (a, b) {
            (Some(a), Some(b)) if normalise_name(a) != normalise_name(b) => {
                out.push(Mismatch { field: name, reason: format!("«{a}» differs from «{b}»") })
            }
            (Some(_), None) | (None, Some(_)) => {
                out.push(Mismatch { field: name, reason: "present in one record and missing in the other".into() })
            }
            _ => {}
        };
        field("family_name", Some(&self.family), Some(&other.family));
        field("given_name", Some(&self.given), Some(&other.given));
        field("middle_name", self.patronymic.as_deref(), other.patronymic.as_deref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_days_round_trip() {
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_792, 2_932_896] {
            assert_eq!(Date::from_unix_days(days).unix_days(), days);
        }
        assert_eq!(Date::parse("2026-12-05").unwrap().unix_midnight(), 1_796_428_800);
    }

    #[test]
    fn snils_check_digits() {
        assert_eq!(Snils::parse("112-233-445 95").unwrap().to_string(), "112-233-445 95");
        assert!(Snils::parse("11223344595").is_ok());
        assert!(Snils::parse("112-233-445 96").is_err(), "wrong check digits");
        assert!(Snils::parse("112-233-445").is_err(), "too short");
        assert!(Snils::parse("112-233-445 9x").is_err());
        assert!(Snils::parse("001-001-998 00").is_ok(), "no check below the threshold");
    }

    #[test]
    fn inn_check_digits_for_people_and_organisations() {
        assert!(Inn::parse("7707083893").is_ok(), "Sberbank");
        assert!(Inn::parse("7707083894").is_err());
        assert!(Inn::parse("500100732259").unwrap().is_personal());
        assert!(Inn::parse("500100732258").is_err());
        assert!(Inn::parse("12345").is_err());
        assert!(Inn::parse("77070838 93").is_err());
    }

    #[test]
    fn passports_are_four_plus_six_digits() {
        let p = Passport::parse("45 08 123456").unwrap();
        assert_eq!((p.series.as_str(), p.number.as_str()), ("4508", "123456"));
        assert!(Passport::parse("4508 12345").is_err());
        assert!(Passport::parse("0000 123456").is_err());
        assert!(Passport::parse("45О8 123456").is_err(), "a Cyrillic letter О is not a zero");
    }

    #[test]
    fn birth_dates_exist_and_are_plausible() {
        let today = Date { year: 2026, month: 12, day: 4 };
        assert_eq!(birth_date("1980-02-29", today).unwrap().to_string(), "1980-02-29");
        assert_eq!(birth_date("29.02.1980", today).unwrap().to_string(), "1980-02-29");
        assert!(birth_date("1981-02-29", today).is_err(), "not a leap year");
        assert!(birth_date("1990-13-01", today).is_err());
        assert!(birth_date("2027-01-01", today).is_err(), "future");
        assert!(birth_date("1890-01-01", today).is_err(), "implausible");
        assert!(birth_date("1990/01/01", today).is_err());
        assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_days(20_426).to_string(), "2025-12-04");
        assert_eq!(Date::from_unix_days(11_016).to_string(), "2000-02-29");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_806_400 + 3661), "2025-12-04T01:01:01Z");
    }

    #[test]
    fn phones_normalise_to_e164() {
        for raw in ["8 916 123-45-67", "+7 (916) 123-45-67", "79161234567", "9161234567"] {
            assert_eq!(Phone::parse(raw).unwrap().as_str(), "+79161234567", "{raw}");
        }
        assert_eq!(Phone::parse("+375 29 123 45 67").unwrap().as_str(), "+375291234567");
        for bad in ["12345", "+7 916 123", "8-800-abc", "+0123456789"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_compare_after_normalisation_and_report_which_field_differs() {
        assert_eq!(normalise_name("  Фёдоров "), "федоров");
        assert_eq!(normalise_name("Римский — Корсаков"), "римский-корсаков");
        assert_eq!(normalise_name("Пeтрoв"), "петров", "Latin e and o typed in a Cyrillic name");
        assert_eq!(normalise_name("Smith"), "smith", "Latin names stay Latin");
        let a = PersonName::parse("Фёдоров", "Алексей", Some("Петрович")).unwrap();
        let b = PersonName::parse("ФЕДОРОВ", "Алeксей", Some("Петрович")).unwrap();
        assert!(a.compare(&b).is_empty());
        let c = PersonName::parse("Федоров", "Александр", None).unwrap();
        let mismatches = a.compare(&c);
        assert_eq!(mismatches.iter().map(|m| m.field).collect::<Vec<_>>(), ["given_name", "middle_name"]);
        assert!(PersonName::parse("", "Иван", None).is_err());
        assert!(PersonName::parse("Иванов1", "Иван", None).is_err());
    }
}

//! The one page model every staff screen renders through `staff.html`: navigation,
//! notices and field errors, then blocks of facts, a printable code, a searchable
//! paginated table, a form and links.

use askama::Template;

use crate::http::i18n::{Locale, Texts};

/// The rendered template.
#[derive(Template)]
#[template(path = "staff.html", config = "src/http/templates/askama.toml")]
pub struct StaffTemplate<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Shared texts (brand).
    pub t: &'a Texts,
    /// The page.
    pub page: &'a View,
}

/// One staff page.
#[derive(Debug, Default)]
pub struct View {
    /// Heading and title.
    pub title: String,
    /// (href, label) of the member's sections.
    pub nav: Vec<(String, String)>,
    /// Accessible name of the navigation.
    pub nav_label: String,
    /// (who, logout CSRF token, logout label) when signed in.
    pub signed_in: Option<(String, String, String)>,
    /// A status message.
    pub notice: Option<String>,
    /// (field, reason) errors.
    pub errors: Vec<(String, String)>,
    /// The content.
    pub blocks: Vec<Block>,
    /// The other language's tag.
    pub other_lang: &'static str,
    /// Its link text.
    pub other_lang_label: &'static str,
}

/// A section of a page.
#[derive(Debug, Default)]
pub struct Block {
    /// `id` attribute (tests and links find sections by it).
    pub id: String,
    /// Heading.
    pub heading: String,
    /// (code, reference, expiry line, note) of a code to print or read out.
    pub code: Option<(String, String, String, String)>,
    /// (term, value) pairs.
    pub facts: Vec<(String, String)>,
    /// A list.
    pub table: Option<Table>,
    /// A form.
    pub form: Option<Form>,
    /// (href, label) links.
    pub links: Vec<(String, String)>,
}

/// A searchable, paginated list.
#[derive(Debug, Default)]
pub struct Table {
    /// The search form, when the list is searchable.
    pub search: Option<Search>,
    /// Column heads.
    pub headers: Vec<String>,
    /// Rows of (text, link) cells.
    pub rows: Vec<Vec<(String, Option<String>)>>,
    /// Shown instead of an empty table.
    pub empty: String,
    /// Previous page link.
    pub prev: Option<String>,
    /// Next page link.
    pub next: Option<String>,
    /// Link texts and "page N".
    pub prev_label: String,
    /// Link text.
    pub next_label: String,
    /// "Page N".
    pub page_label: String,
}

/// The search form of a list.
#[derive(Debug, Default)]
pub struct Search {
    /// The list's path.
    pub action: String,
    /// Label of the text box.
    pub label: String,
    /// What was searched.
    pub q: String,
    /// (value, label) of the status filter, if any.
    pub statuses: Vec<(String, String)>,
    /// The chosen status.
    pub status: String,
    /// Label of the status filter.
    pub status_label: String,
    /// Button text.
    pub button: String,
}

/// A form posting to Vhod with a CSRF token.
#[derive(Debug, Default)]
pub struct Form {
    /// Where.
    pub action: String,
    /// `multipart/form-data` (uploads).
    pub multipart: bool,
    /// `id` attribute.
    pub id: String,
    /// CSRF token.
    pub csrf: String,
    /// The fields.
    pub fields: Vec<Field>,
    /// Button text.
    pub submit: String,
}

/// One form field.
#[derive(Debug, Default)]
pub struct Field {
    /// `name`.
    pub name: String,
    /// Label.
    pub label: String,
    /// `text`, `password`, `date`, `tel`, `number`, `hidden`, `textarea`, `select`,
    /// `checkbox`, `file`.
    pub kind: &'static str,
    /// Current value (what was typed, on an error).
    pub value: String,
    /// (value, label) options of a select.
    pub options: Vec<(String, String)>,
    /// Required.
    pub required: bool,
    /// `autocomplete` value.
    pub autocomplete: &'static str,
}

impl Field {
    /// A field of `kind`.
    pub fn new(kind: &'static str, name: &str, label: &str, value: impl Into<String>) -> Self {
        Self { name: name.into(), label: label.into(), kind, value: value.into(), ..Self::default() }
    }

    /// Marks it required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// A select with options.
    pub fn select(name: &str, label: &str, value: &str, options: &[(&str, &str)]) -> Self {
        Self {
            options: options.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect(),
            ..Self::new("select", name, label, value)
        }
    }
}

/// The search box of a list at `path`.
pub fn search_box(l: Locale, path: &str, label: &str, q: &str) -> Option<Search> {
    Some(Search {
        action: path.to_owned(),
        label: label.to_owned(),
        q: q.to_owned(),
        button: l.pick("Найти", "Search").into(),
        ..Search::default()
    })
}

/// Column heads in the page's language, from (Russian, English) pairs.
pub fn heads(l: Locale, pairs: &[(&'static str, &'static str)]) -> Vec<String> {
    pairs.iter().map(|(ru, en)| l.pick(ru, en).to_owned()).collect()
}

/// Builds a table's paging for a list at `path` with `query` (without `page`).
pub fn paging(table: &mut Table, locale: Locale, path: &str, query: &str, number: i64, more: bool) {
    let link = |n: i64| {
        if query.is_empty() { format!("{path}?page={n}") } else { format!("{path}?{query}&page={n}") }
    };
    table.prev = (number > 1).then(|| link(number - 1));
    table.next = more.then(|| link(number + 1));
    table.prev_label = locale.pick("← Назад", "← Previous").into();
    table.next_label = locale.pick("Дальше →", "Next →").into();
    table.page_label = format!("{} {number}", locale.pick("Страница", "Page"));
}

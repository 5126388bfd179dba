//! A small PDF writer for printable letters such as the post-office
//! confirmation letter.
//!
//! [`render`] lays out [`Line`]s of Russian (Cyrillic) and Latin text on A4
//! pages, wrapping long lines at spaces, and embeds `VhodSans`, a subset of
//! `DejaVu` Sans (see `assets/fonts/LICENSE-DejaVu.txt`), as a `Type0` /
//! `CIDFontType2` font with `Identity-H` encoding. A `ToUnicode` `CMap` maps
//! every glyph used back to its character, so the text can be searched and
//! copied.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use ttf_parser::{Face, GlyphId};

/// The embedded font: a subset of `DejaVu` Sans with Latin, Cyrillic and
/// typographic punctuation.
const FONT_DATA: &[u8] = include_bytes!("../assets/fonts/VhodSans.ttf");
/// The font's name in the PDF; the tag before `+` marks it as a subset.
const FONT_NAME: Name<'static> = Name(b"VHODAA+DejaVuSans");
/// The font's resource name in the page content.
const FONT_RES: Name<'static> = Name(b"F1");
/// A4 in points.
const PAGE: (f32, f32) = (595.276, 841.89);
/// Page margin on every side, in points (20 mm).
const MARGIN: f32 = 56.693;
/// Distance between baselines as a multiple of the font size.
const LEADING: f32 = 1.4;
/// Font sizes outside this range are clamped; non-finite ones become 11 pt.
const SIZES: (f32, f32, f32) = (4.0, 72.0, 11.0);

/// One line of a printed page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line<'a> {
    /// The text; it is wrapped at spaces when wider than the page. An empty
    /// text is a blank line as tall as a line of `size`. Control characters,
    /// newlines included, print as `?`: give each line separately.
    pub text: &'a str,
    /// The font size in points, clamped to 4–72.
    pub size: f32,
    /// Bold text. The font has one weight, so bold is drawn as a "faux bold":
    /// the glyphs are filled and also stroked with a thin outline.
    pub bold: bool,
}

/// The parsed embedded font.
struct Font {
    face: Face<'static>,
    /// Scale from font units to thousandths of an em (PDF glyph space).
    scale: f32,
    /// The glyph drawn for characters the font does not have (`?`).
    fallback: GlyphId,
}

impl Font {
    fn load() -> Self {
        let face = Face::parse(FONT_DATA, 0).expect("the embedded VhodSans.ttf is a valid font");
        let scale = 1000.0 / f32::from(face.units_per_em());
        let fallback = face.glyph_index('?').unwrap_or(GlyphId(0));
        Self { face, scale, fallback }
    }

    /// The glyph for `c`, or the fallback glyph with `'?'` as its text.
    fn glyph(&self, c: char) -> (GlyphId, char) {
        match self.face.glyph_index(c) {
            Some(g) if g.0 != 0 && !c.is_control() => (g, c),
            _ => (self.fallback, '?'),
        }
    }

    /// Advance width of a glyph in thousandths of an em.
    fn advance(&self, g: GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(g).unwrap_or(0)) * self.scale
    }

    /// Width of `c` in points at `size`.
    fn char_width(&self, c: char, size: f32) -> f32 {
        self.advance(self.glyph(c).0) * size / 1000.0
    }

    /// Width of `text` in points at `size`.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.char_width(c, size)).sum()
    }

    /// Splits `text` into lines no wider than `max` points, breaking at
    /// spaces; a single word wider than `max` is broken between characters.
    fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let space = self.char_width(' ', size);
        let (mut out, mut line, mut line_w, mut started) = (Vec::new(), String::new(), 0.0, false);
        for word in text.split(' ') {
            let word_w = self.width(word, size);
            if started {
                if line_w + space + word_w <= max {
                    line.push(' ');
                    line.push_str(word);
                    line_w += space + word_w;
                    continue;
                }
                out.push(line.trim_end().to_owned());
                (line, line_w) = (String::new(), 0.0);
            }
            for c in word.chars() {
                let w = self.char_width(c, size);
                if !line.is_empty() && line_w + w > max {
                    out.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                line.push(c);
                line_w += w;
            }
            started = true;
        }
        out.push(line);
        out
    }
}

/// Renders an A4 page (several if the lines do not fit) with the embedded
/// font; returns the PDF bytes.
///
/// `title` becomes the document's Title in its info dictionary; it is not
/// printed. Characters missing from the font are printed as `?`.
#[must_use]
pub fn render(title: &str, lines: &[Line<'_>]) -> Vec<u8> {
    let font = Font::load();
    let (top, max_w) = (PAGE.1 - MARGIN, PAGE.0 - 2.0 * MARGIN);
    // Glyphs used, with the character each stands for (for `ToUnicode`).
    let mut used = BTreeMap::<u16, char>::new();
    let (mut pages, mut content) = (Vec::new(), Content::new());
    let mut y = top;
    for line in lines {
        let size = if line.size.is_finite() { line.size.clamp(SIZES.0, SIZES.1) } else { SIZES.2 };
        let step = size * LEADING;
        let pieces = if line.text.is_empty() { vec![String::new()] } else { font.wrap(line.text, size, max_w) };
        for piece in pieces {
            // Start a new page unless this one is still empty (a line too
            // tall for any page is drawn on its own).
            if y - step < MARGIN && y < top {
                pages.push(std::mem::replace(&mut content, Content::new()));
                y = top;
            }
            y -= step;
            if piece.is_empty() {
                continue;
            }
            let mut encoded = Vec::with_capacity(piece.len() * 2);
            for c in piece.chars() {
                let (g, text) = font.glyph(c);
                used.entry(g.0).or_insert(text);
                encoded.extend_from_slice(&g.0.to_be_bytes());
            }
            // Bold state is saved and restored so that it ends with the line.
            if line.bold {
                content.save_state().set_line_width(size / 30.0);
            }
            content.begin_text().set_font(FONT_RES, size);
            if line.bold {
                content.set_text_rendering_mode(TextRenderingMode::FillStroke);
            }
            // The baseline sits a little above the bottom of the line's step.
            content.next_line(MARGIN, y + (step - size)).show(Str(&encoded)).end_text();
            if line.bold {
                content.restore_state();
            }
        }
    }
    pages.push(content);
    write_document(&font, title, &used, pages)
}

/// Writes the catalog, pages, font objects and info dictionary.
fn write_document(font: &Font, title: &str, used: &BTreeMap<u16, char>, pages: Vec<Content>) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let mut next = Ref::new(1);
    let [catalog, tree, info, type0, cid, descriptor, file, cmap] = [(); 8].map(|()| next.bump());
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (next.bump(), next.bump())).collect();

    pdf.catalog(catalog).pages(tree);
    let count = i32::try_from(page_ids.len()).unwrap_or(i32::MAX);
    pdf.pages(tree).kids(page_ids.iter().map(|&(page, _)| page)).count(count);
    for (content, &(page_id, content_id)) in pages.into_iter().zip(&page_ids) {
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1)).parent(tree).contents(content_id);
        page.resources().fonts().pair(FONT_RES, type0);
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.document_info(info).title(TextStr(title)).producer(TextStr("vhod"));

    let system_info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    pdf.type0_font(type0)
        .base_font(FONT_NAME)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    let mut cid_font = pdf.cid_font(cid);
    cid_font
        .subtype(CidFontType::Type2)
        .base_font(FONT_NAME)
        .system_info(system_info)
        .font_descriptor(descriptor)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let widths = (0..font.face.number_of_glyphs()).map(|g| font.advance(GlyphId(g)));
    cid_font.widths().consecutive(0, widths);
    cid_font.finish();

    let face = &font.face;
    let scaled = |v: i16| f32::from(v) * font.scale;
    let bbox = face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(FONT_NAME)
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(scaled(bbox.x_min), scaled(bbox.y_min), scaled(bbox.x_max), scaled(bbox.y_max)))
        .italic_angle(0.0)
        .ascent(scaled(face.ascender()))
        .descent(scaled(face.descender()))
        .cap_height(scaled(face.capital_height().unwrap_or(face.ascender())))
        .stem_v(80.0)
        .font_file2(file);
    let length = i32::try_from(FONT_DATA.len()).expect("the embedded font is smaller than 2 GiB");
    pdf.stream(file, FONT_DATA).pair(Name(b"Length1"), length);

    let mut unicode = UnicodeCmap::new(Name(b"Vhod-UTF16"), system_info);
    for (&g, &c) in used {
        unicode.pair(g, c);
    }
    pdf.cmap(cmap, &unicode.finish()).name(Name(b"Vhod-UTF16")).system_info(system_info);
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::{Font, Line, PAGE, render};

    fn line(text: &str) -> Line<'_> {
        Line { text, size: 12.0, bold: false }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn count(haystack: &[u8], needle: &[u8]) -> usize {
        haystack.windows(needle.len()).filter(|w| *w == needle).count()
    }

    #[test]
    fn is_a_complete_pdf() {
        let pdf = render("Письмо", &[line("Hello"), Line { text: "", size: 12.0, bold: true }]);
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
        assert!(contains(&pdf, b"/FontFile2"));
        assert!(contains(&pdf, b"/Identity-H"));
    }

    #[test]
    fn long_lines_wrap_at_spaces() {
        let short = render("t", &[line("слово")]);
        assert_eq!(count(&short, b"> Tj"), 1);
        let long = "слово ".repeat(60);
        let pdf = render("t", &[line(&long)]);
        assert!(count(&pdf, b"> Tj") > 1, "a 360-character line must wrap");
        let unbroken = "ж".repeat(200);
        assert!(count(&render("t", &[line(&unbroken)]), b"> Tj") > 1);
    }

    #[test]
    fn wrapped_pieces_fit_and_keep_every_word() {
        let font = Font::load();
        let text = "Ваш код подтверждения для портала госуслуг — 12345678. ".repeat(8);
        let text = text.trim_end();
        let max = PAGE.0 / 2.0;
        let pieces = font.wrap(text, 12.0, max);
        assert!(pieces.len() > 3, "{pieces:?}");
        assert!(pieces.iter().all(|p| font.width(p, 12.0) <= max), "{pieces:?}");
        assert_eq!(pieces.join(" "), text);
    }

    #[test]
    fn cyrillic_text_is_extractable() {
        let pdf = render("t", &[line("Жук")]);
        // ToUnicode maps the glyphs back to U+0416 'Ж', U+0443 'у', U+043A 'к'.
        assert!(contains(&pdf, b"/ToUnicode") && contains(&pdf, b"<0416>"), "ToUnicode lacks Ж");
        assert!(contains(&pdf, b"<0443>") && contains(&pdf, b"<043A>"));
        assert!(contains(&pdf, b"/F1 12 Tf"), "content stream is missing");
        assert!(!contains(&render("t", &[line("Hello")]), b"<0416>"));
    }

    #[test]
    fn many_lines_make_many_pages() {
        assert_eq!(count(&render("t", &[line("Строка"); 10]), b"/MediaBox"), 1);
        let pdf = render("t", &[line("Строка"); 200]);
        assert!(count(&pdf, b"/MediaBox") > 1, "200 lines do not fit on one page");
    }

    #[test]
    fn bold_ends_with_its_line_and_blank_lines_print_nothing() {
        let bold = Line { text: "Жирный", size: 12.0, bold: true };
        let pdf = render("t", &[bold, Line { text: "", size: 12.0, bold: true }, line("обычный")]);
        assert_eq!(count(&pdf, b"2 Tr"), 1);
        assert!(contains(&pdf, b"ET\nQ\n"), "bold state must be restored");
        assert_eq!(count(&pdf, b"> Tj"), 2);
    }

    #[test]
    fn missing_characters_become_question_marks() {
        let pdf = render("t", &[line("日本\t")]);
        assert!(contains(&pdf, b"<003F>"), "'?' should stand in for missing glyphs");
    }
}

//! The workbook writer: the few operations `xlsx.rs` needs, on `rust_xlsxwriter` in low memory
//! mode.
//!
//! Why `rust_xlsxwriter`: auditors open the workbook in Excel, and its test suite compares every
//! part with files Excel itself wrote. Low memory mode streams each sheet's rows to a temporary
//! file and keeps each distinct string once, in the workbook's shared strings: a report repeats
//! the same control texts in thousands of cells (143,335 string cells, 5,071 distinct strings, in
//! the workbook of a 1M-row CUR), so the sheets are a fraction of the size they are with every
//! string inline, and take a fraction of the time to write and compress. Shared strings carry
//! one hazard, closed here: `rust_xlsxwriter` writes a string that starts with `<r>` and ends
//! with `</r>` as raw rich-text markup (see [`write_text`] and `docs/security.md`). Every sheet is
//! print-ready: landscape, one page wide, its header rows repeated on every page, and a footer
//! with the organisation, period, sheet and page number.

use std::io::Write;
use std::marker::PhantomData;

use rust_xlsxwriter::{
    DataValidation, DataValidationRule, DocProperties, ExcelDateTime, Format, FormatAlign,
    FormatBorder, Worksheet, XlsxError,
};

use crate::RenderError;
use crate::xlsx::MAX_CELL_CHARS;

/// Rows of a worksheet (Excel's limit).
pub(crate) const MAX_ROWS: u64 = 1_048_576;
/// Columns of a worksheet (Excel's limit).
pub(crate) const MAX_COLS: u64 = 16_384;

/// A cell format of the workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// No formatting.
    Default,
    /// Header cells: bold, filled, bottom border, top-aligned, wrapped.
    Header,
    /// Short text, top-aligned.
    Text,
    /// Long text, top-aligned and wrapped.
    Wrap,
    /// The title of the summary sheet: bold, 14 pt.
    Title,
    /// A count: `#,##0`, top-aligned.
    Number,
    /// Section and group rows: bold, grey fill.
    Section,
    /// A percentage: `0.0%`, top-aligned.
    Percent,
    /// Owner AWS: amber fill, centred, thin grey border.
    OwnerAws,
    /// Owner Shared: blue fill, centred, thin grey border.
    OwnerShared,
    /// Owner Customer: red fill, centred, thin grey border.
    OwnerCustomer,
    /// Severity high: bold, red fill.
    SeverityHigh,
    /// Severity medium: amber fill.
    SeverityMedium,
    /// Severity low: grey fill.
    SeverityLow,
    /// A date: `yyyy-mm-dd`, top-aligned.
    Date,
}

impl Style {
    /// The cell format of the style.
    fn format(self) -> Format {
        let top = Format::new().set_align(FormatAlign::Top);
        let owner = |rgb: u32| {
            top.clone()
                .set_background_color(rgb)
                .set_align(FormatAlign::Center)
                .set_border(FormatBorder::Thin)
                .set_border_color(0xBF_BF_BF)
        };
        match self {
            Style::Default => Format::new(),
            Style::Header => top
                .set_bold()
                .set_background_color(0xD9_E1_F2)
                .set_border_bottom(FormatBorder::Thin)
                .set_text_wrap(),
            Style::Text => top,
            Style::Wrap => top.set_text_wrap(),
            Style::Title => Format::new().set_bold().set_font_size(14),
            Style::Number => top.set_num_format("#,##0"),
            Style::Section => Format::new().set_bold().set_background_color(0xED_ED_ED),
            Style::Percent => top.set_num_format("0.0%"),
            Style::OwnerAws => owner(0xF3_C6_77),
            Style::OwnerShared => owner(0xB7_D3_F2),
            Style::OwnerCustomer => owner(0xF2_B8_B5),
            Style::SeverityHigh => top.set_bold().set_background_color(0xF4_A6_A6),
            Style::SeverityMedium => top.set_background_color(0xFF_D9_8C),
            Style::SeverityLow => top.set_background_color(0xE7_E6_E6),
            Style::Date => top.set_num_format("yyyy-mm-dd"),
        }
    }
}

/// The document properties of the workbook, and its page footer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Properties {
    /// Title.
    pub title: String,
    /// Subject.
    pub subject: String,
    /// Description (Excel shows it as Comments).
    pub description: String,
    /// Company; empty for none.
    pub company: String,
    /// Creation and modification time, UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub created: String,
    /// What the printed footer says on the left of every page (organisation and period).
    pub footer: String,
}

/// A data validation rule.
pub(crate) enum Validation<'a> {
    /// One of these values (a drop-down list).
    List(&'a [&'a str]),
    /// A date between two Excel serial dates.
    DateBetween(u32, u32),
}

/// The texts of a data validation: the prompt shown on the cell and the error on a wrong value.
pub(crate) struct ValidationText<'a> {
    /// Title of the prompt.
    pub prompt_title: &'a str,
    /// The prompt.
    pub prompt: &'a str,
    /// Title of the error.
    pub error_title: &'a str,
    /// The error.
    pub error: &'a str,
}

/// A workbook being written, to be saved into `W`.
pub(crate) struct Workbook<W: Write> {
    book: rust_xlsxwriter::Workbook,
    out: W,
    names: Vec<String>,
    written: usize,
    footer: String,
    formats: Vec<Format>,
}

fn xlsx_error(e: XlsxError) -> RenderError {
    RenderError::Xlsx(e.to_string())
}

/// The formats of [`Style`], in the enum's order.
const STYLES: [Style; 15] = [
    Style::Default,
    Style::Header,
    Style::Text,
    Style::Wrap,
    Style::Title,
    Style::Number,
    Style::Section,
    Style::Percent,
    Style::OwnerAws,
    Style::OwnerShared,
    Style::OwnerCustomer,
    Style::SeverityHigh,
    Style::SeverityMedium,
    Style::SeverityLow,
    Style::Date,
];

/// A header or footer text with `&` doubled: Excel reads a lone `&` as a control code.
fn header_text(s: &str) -> String {
    s.replace('&', "&&")
}

impl<W: Write> Workbook<W> {
    /// Starts a workbook with the worksheets `names`, in order, deflated at `compression_level`
    /// (1 to 9).
    pub(crate) fn new(
        out: W,
        names: &[&str],
        props: &Properties,
        compression_level: i64,
    ) -> Result<Workbook<W>, RenderError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.set_zip_compression_level(compression_level.clamp(1, 9) as u8);
        let created = ExcelDateTime::parse_from_str(props.created.trim_end_matches('Z'))
            .map_err(xlsx_error)?;
        let properties = DocProperties::new()
            .set_title(&props.title)
            .set_subject(&props.subject)
            .set_comment(&props.description)
            .set_company(&props.company)
            .set_creation_datetime(&created);
        book.set_properties(&properties);
        let footer = format!(
            "&L{}&C&A&RPage &P of &N",
            header_text(&props.footer)
                .chars()
                .take(200)
                .collect::<String>()
        );
        Ok(Workbook {
            book,
            out,
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            written: 0,
            footer,
            formats: STYLES.iter().map(|s| s.format()).collect(),
        })
    }

    /// Puts the temporary files of the streamed sheets in `dir` (by default the system's
    /// temporary directory).
    pub(crate) fn scratch_dir(&mut self, dir: &std::path::Path) -> Result<(), RenderError> {
        self.book.set_tempdir(dir).map_err(xlsx_error)?;
        Ok(())
    }

    /// Starts the next worksheet; it must be finished before another is started.
    pub(crate) fn sheet(&mut self) -> Result<Sheet<'_, W>, RenderError> {
        let Some(name) = self.names.get(self.written).cloned() else {
            return Err(RenderError::Xlsx(format!(
                "a worksheet beyond the {} announced",
                self.names.len()
            )));
        };
        self.written += 1;
        let ws = self
            .book
            .add_worksheet_with_low_memory()
            .map_err(xlsx_error)?;
        ws.set_name(&name).map_err(xlsx_error)?;
        ws.set_landscape();
        ws.set_print_fit_to_pages(1, 0);
        ws.set_footer(&self.footer);
        Ok(Sheet {
            ws,
            formats: &self.formats,
            column_styles: Vec::new(),
            has_cells: false,
            _out: PhantomData,
        })
    }

    /// Writes the workbook into `out` and returns it.
    pub(crate) fn finish(mut self) -> Result<W, RenderError> {
        if self.written != self.names.len() {
            return Err(RenderError::Xlsx(format!(
                "{} worksheets announced, {} written",
                self.names.len(),
                self.written
            )));
        }
        let bytes = self.book.save_to_buffer().map_err(xlsx_error)?;
        self.out
            .write_all(&bytes)
            .map_err(|source| RenderError::Write {
                file: crate::xlsx::XLSX_FILE,
                source,
            })?;
        Ok(self.out)
    }
}

/// A text as a cell shows it: a line break is LF (CR LF and a lone CR become LF), and every other
/// control character is shown as its Unicode control picture (U+0001 as `␁`), and the
/// noncharacters U+FFFE and U+FFFF as the replacement character `�`. Excel cannot display
/// either; `rust_xlsxwriter` would write them as `_xHHHH_` escapes, which a literal `_x0041` just
/// before them turns into other text (`_x0041` and CR read back as `A` and `x000D_`). The CSV
/// files and report.json keep such values exactly.
pub(crate) fn cell_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !has_cell_controls(s) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\t' | '\n' => out.push(c),
            '\u{7f}' => out.push('\u{2421}'),
            c if c.is_ascii_control() => {
                out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'));
            }
            '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Writes a string cell in `format`, which is its column's when `column_style` says so (the cell
/// is then written without one, and takes its column's). A text that starts with `<r>` and ends
/// with `</r>` would be written by `rust_xlsxwriter` into the shared strings as it is, as
/// rich-text markup: a team tag of `<r><t>a</t></r></si><si><r><t>b</t></r>` would close its own
/// string and shift every later one. Such a text is written instead as a rich string of one
/// unformatted run, which `rust_xlsxwriter` writes inline in its cell, its markup built around
/// the escaped text: the cell reads as the text, exactly, in the cell's format. The run's text is
/// escaped by `rust_xlsxwriter` for XML but not for Excel's `_xHHHH_` syntax, which
/// [`excel_escapes`] adds. `rust_xlsxwriter` holds a rich string's markup, not its text, to
/// Excel's 32,767 characters: a text whose markup is longer is cut with the truncation marker
/// (which ends it, so it is written as a plain string), as any text over the limit is.
fn write_text(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    format: &Format,
    column_style: bool,
) -> Result<(), RenderError> {
    let rich_markup = text.starts_with("<r>") && text.ends_with("</r>");
    let run = rich_markup.then(|| excel_escapes(text));
    let cut;
    let (text, run) = match run {
        Some(run) if rich_markup_units(&run) > MAX_CELL_CHARS => {
            // At least the last character goes, so that the cut text no longer ends with `</r>`.
            let units = text.encode_utf16().count();
            cut = crate::xlsx::cut_with_marker(text, MAX_CELL_CHARS.min(units - 1));
            (cut.as_str(), None)
        }
        run => (text, run),
    };
    match (run, column_style) {
        (None, true) => ws.write_string(row, col, text),
        (None, false) => ws.write_string_with_format(row, col, text, format),
        // The format given explicitly gets the index the column's style has (tested).
        (Some(run), _) => {
            ws.write_rich_string_with_format(row, col, &[(&Format::new(), &run)], format)
        }
    }
    .map_err(xlsx_error)?;
    Ok(())
}

/// The UTF-16 code units of the markup `rust_xlsxwriter` makes of a rich string of the one
/// unformatted run `run`: `<r><t>` and `</t></r>` around the run, escaped for XML (`&` as
/// `&amp;`, `<` and `>` as `&lt;` and `&gt;`, the other characters it escapes as `_xHHHH_`).
/// A run that starts or ends with white space would also get an `xml:space` attribute; a run
/// here starts with `<` and ends with `>`.
fn rich_markup_units(run: &str) -> usize {
    let escaped: usize = run
        .chars()
        .map(|c| match c {
            '&' => 5,
            '<' | '>' => 4,
            '\t' | '\n' => 1,
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => 7,
            c => c.len_utf16(),
        })
        .sum();
    "<r><t></t></r>".len() + escaped
}

/// `text` with every literal `_xHHHH_` (four hex digits) written `_x005F_xHHHH_`, so that a
/// reader does not decode it as an escaped character: Excel's rule, which `rust_xlsxwriter`
/// applies to plain strings but not to the runs of a rich string.
fn excel_escapes(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let escape_at = |i: usize| {
        b.get(i..i + 7).is_some_and(|w| {
            w.starts_with(b"_x") && w[2..6].iter().all(u8::is_ascii_hexdigit) && w[6] == b'_'
        })
    };
    if !(0..b.len()).any(escape_at) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 12);
    let mut from = 0;
    for at in (0..b.len()).filter(|&i| escape_at(i)) {
        // `_` and `x` are ASCII: `at` is a character boundary.
        out.push_str(&text[from..at]);
        out.push_str("_x005F");
        from = at;
    }
    out.push_str(&text[from..]);
    std::borrow::Cow::Owned(out)
}

/// Whether `s` may hold a character [`cell_controls`] changes: an ASCII control character other
/// than tab and line feed, or a character of U+F000 to U+FFFF (whose UTF-8 starts with 0xEF;
/// [`cell_controls`] changes only U+FFFE and U+FFFF of them). Checked on bytes: in UTF-8 a byte
/// below 0x80 is always the whole character, so this is `chars().any(..)` without decoding (it
/// runs over every cell of the workbook). Each block of 32 bytes is checked whole, without a
/// branch per byte, which the compiler turns into vector instructions.
fn has_cell_controls(s: &str) -> bool {
    s.as_bytes().chunks(32).any(|block| {
        block.iter().fold(false, |found, &b| {
            found | ((b < 0x20) & (b != b'\t') & (b != b'\n')) | (b == 0x7f) | (b == 0xef)
        })
    })
}

/// A worksheet being written, row by row, of a workbook saved into `W`.
pub(crate) struct Sheet<'a, W> {
    ws: &'a mut Worksheet,
    formats: &'a [Format],
    /// The style each column was given, if any: a cell of its column's style is written without
    /// a format, and Excel's file gets the column's (the same index): `rust_xlsxwriter` looks
    /// every cell's format up by hashing all of it, a fifth of the workbook's time.
    column_styles: Vec<Option<Style>>,
    /// Whether a cell has been written.
    has_cells: bool,
    _out: PhantomData<W>,
}

/// The index of a style's format in [`STYLES`] (and in a workbook's formats): its place in the
/// enum, which [`STYLES`] lists in order (tested).
fn style_index(style: Style) -> usize {
    style as usize
}

impl<W> Sheet<'_, W> {
    fn format(&self, style: Style) -> &Format {
        let formats = self.formats;
        formats.get(style_index(style)).unwrap_or(&formats[0])
    }

    /// Sets the width (in characters, as Excel shows it) and optionally the format of a column;
    /// a format only before the sheet's first cell (cells of the column's style are written
    /// without a format and take the column's when their row is written out).
    pub(crate) fn column(
        &mut self,
        col: u16,
        width: f64,
        style: Option<Style>,
    ) -> Result<(), RenderError> {
        self.ws.set_column_width(col, width).map_err(xlsx_error)?;
        if let Some(style) = style {
            if self.has_cells {
                return Err(RenderError::Xlsx(format!(
                    "column {col} given a style after the sheet's first cell"
                )));
            }
            let at = usize::from(col);
            if self.column_styles.len() <= at {
                self.column_styles.resize(at + 1, None);
            }
            self.column_styles[at] = Some(style);
            let f = self.format(style).clone();
            self.ws.set_column_format(col, &f).map_err(xlsx_error)?;
        }
        Ok(())
    }

    /// Freezes the rows above `row` and the columns left of `col`; the frozen rows are the
    /// header, repeated at the top of every printed page.
    pub(crate) fn freeze_panes(&mut self, row: u32, col: u16) -> Result<(), RenderError> {
        self.ws.set_freeze_panes(row, col).map_err(xlsx_error)?;
        if row > 0 {
            self.ws.set_repeat_rows(0, row - 1).map_err(xlsx_error)?;
        }
        Ok(())
    }

    /// Writes a string cell; an empty string is a blank cell carrying the style.
    pub(crate) fn string(
        &mut self,
        row: u32,
        col: u16,
        s: &str,
        style: Style,
    ) -> Result<(), RenderError> {
        if s.is_empty() {
            return self.blank(row, col, style);
        }
        let text = cell_controls(s);
        self.has_cells = true;
        let column_style = self.is_column_style(col, style);
        let f = &self.formats[style_index(style)];
        write_text(self.ws, row, col, &text, f, column_style)
    }

    /// Writes a whole number.
    pub(crate) fn integer(
        &mut self,
        row: u32,
        col: u16,
        n: u64,
        style: Style,
    ) -> Result<(), RenderError> {
        self.number(row, col, n as f64, style)
    }

    /// Writes a number; one that is not finite is an error (Excel has no such numbers).
    pub(crate) fn number(
        &mut self,
        row: u32,
        col: u16,
        n: f64,
        style: Style,
    ) -> Result<(), RenderError> {
        if !n.is_finite() {
            return Err(RenderError::Xlsx(format!("the number {n} in a cell")));
        }
        self.has_cells = true;
        if self.is_column_style(col, style) {
            self.ws.write_number(row, col, n)
        } else {
            let f = &self.formats[style_index(style)];
            self.ws.write_number_with_format(row, col, n, f)
        }
        .map_err(xlsx_error)?;
        Ok(())
    }

    /// Whether `style` is the style column `col` was given.
    fn is_column_style(&self, col: u16, style: Style) -> bool {
        self.column_styles.get(usize::from(col)) == Some(&Some(style))
    }

    /// Writes an empty cell with a style.
    pub(crate) fn blank(&mut self, row: u32, col: u16, style: Style) -> Result<(), RenderError> {
        self.has_cells = true;
        let formats = self.formats;
        let f = &formats[style_index(style)];
        self.ws.write_blank(row, col, f).map_err(xlsx_error)?;
        Ok(())
    }

    /// Adds an autofilter over the range.
    pub(crate) fn autofilter(
        &mut self,
        first_row: u32,
        first_col: u16,
        last_row: u32,
        last_col: u16,
    ) -> Result<(), RenderError> {
        self.ws
            .autofilter(first_row, first_col, last_row, last_col)
            .map_err(xlsx_error)?;
        Ok(())
    }

    /// Adds a data validation over the cells of `col` from `first_row` to `last_row`.
    pub(crate) fn validation(
        &mut self,
        first_row: u32,
        last_row: u32,
        col: u16,
        rule: &Validation<'_>,
        text: &ValidationText<'_>,
    ) -> Result<(), RenderError> {
        let dv = match rule {
            Validation::List(items) => DataValidation::new()
                .allow_list_strings(items)
                .map_err(xlsx_error)?,
            Validation::DateBetween(from, to) => {
                let date = |serial: u32| {
                    ExcelDateTime::from_serial_datetime(f64::from(serial)).map_err(xlsx_error)
                };
                DataValidation::new()
                    .allow_date(DataValidationRule::Between(date(*from)?, date(*to)?))
            }
        };
        let dv = dv
            .set_input_title(text.prompt_title)
            .and_then(|d| d.set_input_message(text.prompt))
            .and_then(|d| d.set_error_title(text.error_title))
            .and_then(|d| d.set_error_message(text.error))
            .map_err(xlsx_error)?;
        self.ws
            .add_data_validation(first_row, col, last_row, col, &dv)
            .map_err(xlsx_error)?;
        Ok(())
    }

    /// Ends the sheet (its rows are flushed when the next sheet starts or the workbook is saved).
    pub(crate) fn finish(self) -> Result<(), RenderError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The byte check finds exactly what a check of every character finds.
        #[test]
        fn control_characters_found_on_bytes_as_on_chars(
            s in "(\\PC{0,40}|[\\x00-\\x20\\x7f\\u{80}-\\u{9f}\\u{2028}é\\u{efff}\\u{f000}\\u{ff21}\\u{fffd}-\\u{ffff}]){0,12}"
        ) {
            let by_char = s
                .chars()
                .any(|c| (c.is_ascii_control() && c != '\t' && c != '\n') || ('\u{f000}'..='\u{ffff}').contains(&c));
            proptest::prop_assert_eq!(has_cell_controls(&s), by_char);
            // Whatever the check lets through is left as it is.
            if !by_char {
                proptest::prop_assert_eq!(cell_controls(&s), s.as_str());
            }
        }
    }

    /// A one-sheet workbook ("One") with the cells `fill` writes.
    fn workbook_with(
        fill: impl FnOnce(&mut Sheet<'_, Vec<u8>>) -> Result<(), RenderError>,
    ) -> Result<Vec<u8>, RenderError> {
        let props = Properties {
            created: "2026-10-01T00:00:00Z".into(),
            footer: "Northwind & Co, 2026-Q3".into(),
            ..Properties::default()
        };
        let mut wb = Workbook::new(Vec::new(), &["One"], &props, 1)?;
        let mut s = wb.sheet()?;
        fill(&mut s)?;
        s.finish()?;
        wb.finish()
    }

    /// Writes `cells` (one row each) into a workbook and reads them back with calamine.
    fn round_trip(cells: &[String]) -> Vec<String> {
        use calamine::{Data, Reader, Xlsx};
        let bytes = workbook_with(|s| {
            for (r, text) in (0u32..).zip(cells) {
                s.string(r, 0, text, Style::Wrap)?;
                s.string(r, 1, "marker", Style::Text)?;
            }
            Ok(())
        })
        .unwrap();
        let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = wb.worksheet_range("One").unwrap();
        (0..cells.len() as u32)
            .map(|r| {
                assert_eq!(
                    range.get_value((r, 1)),
                    Some(&Data::String("marker".into())),
                    "row {r}: the cell after the text is intact"
                );
                match range.get_value((r, 0)) {
                    Some(Data::String(s)) => s.clone(),
                    None | Some(Data::Empty) => String::new(),
                    Some(other) => format!("{other:?}"),
                }
            })
            .collect()
    }

    /// The `s` (style index) attribute of every cell of the first sheet, by cell reference.
    fn cell_styles(bytes: Vec<u8>) -> Vec<(String, String)> {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        xml.split("<c r=\"")
            .skip(1)
            .map(|cell| {
                let (reference, rest) = cell.split_once('"').unwrap();
                let style = rest
                    .split_once(" s=\"")
                    .filter(|(before, _)| !before.contains('>'))
                    .map_or("", |(_, s)| s.split_once('"').unwrap().0);
                (reference.to_owned(), style.to_owned())
            })
            .collect()
    }

    /// A cell of its column's style is written without a format; Excel's file still gives it
    /// the column's style index, the one the same cell gets with the format given explicitly.
    #[test]
    fn a_cell_in_its_columns_style_gets_that_style() {
        let write = |with_columns: bool| {
            workbook_with(|s| {
                if with_columns {
                    s.column(0, 40.0, Some(Style::Wrap))?;
                    s.column(1, 10.0, Some(Style::Number))?;
                }
                // Row by row: a streamed sheet drops cells of rows already written.
                s.string(0, 0, "header", Style::Header)?;
                s.string(1, 0, "long text", Style::Wrap)?;
                s.integer(1, 1, 7, Style::Number)?;
                s.string(2, 0, "short", Style::Text)?;
                s.integer(2, 1, 8, Style::Percent)?;
                // Written as a rich string, always with its format.
                s.string(3, 0, "<r>rich</r>", Style::Wrap)?;
                Ok(())
            })
            .unwrap()
        };
        let with_columns = cell_styles(write(true));
        let styles: Vec<&str> = with_columns.iter().map(|(_, s)| s.as_str()).collect();
        let [header, wrap, number, text, percent, rich] = styles[..] else {
            panic!("six cells: {with_columns:?}")
        };
        assert_eq!(
            rich, wrap,
            "a rich string in its column's style: {with_columns:?}"
        );
        assert_eq!(
            with_columns
                .iter()
                .map(|(r, _)| r.as_str())
                .collect::<Vec<_>>(),
            ["A1", "A2", "B2", "A3", "B3", "A4"]
        );
        // Each cell has a style of its own, and the column-styled ones are not the default.
        let mut distinct = vec![header, wrap, number, text, percent];
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 5, "{with_columns:?}");
        assert!(!wrap.is_empty() && !number.is_empty());
        // Without column styles, every cell is written with its format: the same cells carry
        // styles the same way (indices are numbered in first-use order, so compare the
        // pattern).
        let without = cell_styles(write(false));
        let same_as = |cells: &[(String, String)], a: usize, b: usize| cells[a].1 == cells[b].1;
        for (a, b) in [(0, 1), (1, 2), (1, 3), (2, 4), (1, 5)] {
            assert_eq!(same_as(&with_columns, a, b), same_as(&without, a, b));
        }
        assert!(without.iter().all(|(_, s)| !s.is_empty()));
    }

    /// A column styled after a cell was written would restyle cells of its old style still
    /// buffered in their row: refused (a width alone is fine).
    #[test]
    fn columns_are_styled_before_the_first_cell() {
        let late = workbook_with(|s| {
            s.column(0, 40.0, Some(Style::Wrap))?;
            s.string(1, 0, "x", Style::Wrap)?;
            s.column(1, 20.0, None)?;
            s.column(0, 40.0, Some(Style::Text))
        });
        assert!(
            matches!(&late, Err(RenderError::Xlsx(m)) if m.contains("style after the sheet's first cell")),
            "{late:?}"
        );
    }

    #[test]
    fn hostile_strings_come_back_as_written() {
        let cells: Vec<String> = [
            "<r><t>a</t></r></si><si><r><t>b</t></r>",
            "<r>_x0041_ _x005F_x0041_x0042_ & <t>\t</r>",
            "<r></r>",
            " <r>x</r>",
            "</t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>forged",
            "</t></si><si><t>forged",
            "]]><!-- -->",
            "&amp; &lt; \" '",
            "_x0041_ _x005F_x0041_ _x41_",
            "_x0041\n_x0041id_x00e9tail _x0041",
            " leading and trailing ",
            "\ttab\nline",
            "cr\nlf",
            "emoji 🙂 and é",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(round_trip(&cells), cells);
    }

    /// The text of the first `<t>` element inside `inside` (the element named so) of a part.
    fn first_text(bytes: &[u8], part: &str, inside: &str) -> String {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name(part).unwrap().read_to_string(&mut xml).unwrap();
        let after = xml.split_once(&format!("<{inside}>")).unwrap().1;
        let t = after.split_once("<t").unwrap().1;
        let body = t.split_once('>').unwrap().1;
        body.split_once("</t>").unwrap().0.to_owned()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// `excel_escapes` against `rust_xlsxwriter`'s own escaping, which it cannot call: a
        /// text written as a plain shared string and the same text between `<r>` and `</r>`
        /// (a rich run, escaped by `excel_escapes`) come out as the same XML, the run's with
        /// the escaped `<r>` and `</r>` around it (no `_xHHHH_` can span them).
        #[test]
        fn rich_runs_are_escaped_as_the_library_escapes_plain_strings(
            s in "(_x[0-9A-Fa-f]{0,4}_?|[_x0-9A-Fa-f&<> é]|\\PC){1,30}"
        ) {
            proptest::prop_assume!(!(s.starts_with("<r>") && s.ends_with("</r>")));
            let rich = format!("<r>{s}</r>");
            let bytes = workbook_with(|sheet| {
                sheet.string(0, 0, &s, Style::Text)?;
                sheet.string(1, 0, &rich, Style::Text)
            })
            .unwrap();
            let plain = first_text(&bytes, "xl/sharedStrings.xml", "si");
            let run = first_text(&bytes, "xl/worksheets/sheet1.xml", "is");
            proptest::prop_assert_eq!(run, format!("&lt;r&gt;{plain}&lt;/r&gt;"));
        }
    }

    /// `rust_xlsxwriter` holds a rich string's markup to Excel's limit: a text between `<r>` and
    /// `</r>` whose markup is just within it is written whole; one character more, and it is
    /// cut with the truncation marker, as a plain string. The markup's length is counted as
    /// the library counts it: for plain characters, for `&` (five units in the markup) and for
    /// `_xHHHH_` (escaped with six more).
    #[test]
    fn rich_markup_at_excels_limit_is_whole_and_past_it_is_cut() {
        let marker = "\n[truncated: Excel cells hold at most 32,767 characters]";
        // `<r>` and `</r>` take 33 units of markup with `<r><t>` and `</t></r>` around them.
        for (unit, width) in [("a", 1), ("&", 5), ("_x0041_", 13)] {
            let most = (MAX_CELL_CHARS - 33) / width;
            let fits = format!("<r>{}</r>", unit.repeat(most));
            let over = format!("<r>{}</r>", unit.repeat(most + 1));
            let back = round_trip(&[fits.clone(), over.clone()]);
            assert_eq!(back[0], fits, "{unit} × {most}: within the limit");
            assert!(back[1].ends_with(marker), "{unit} × {}: cut", most + 1);
            assert!(over.starts_with(back[1].trim_end_matches(marker)));
            assert!(back[1].encode_utf16().count() <= MAX_CELL_CHARS);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        #[test]
        fn any_text_comes_back_as_written(
            cells in proptest::collection::vec(
                (
                    proptest::bool::ANY,
                    "(_x00[0-9A-F]{2}_?|[\\t\\n<>&\"'_x0-9A-F ]|\\PC){1,40}",
                ),
                1..8,
            )
        ) {
            // Some texts as rich-text markup would be: between `<r>` and `</r>`.
            let cells: Vec<String> = cells
                .into_iter()
                .map(|(rich, s)| if rich { format!("<r>{s}</r>") } else { s })
                .collect();
            proptest::prop_assert_eq!(round_trip(&cells), cells);
        }
    }

    #[test]
    fn control_characters_are_shown_as_control_pictures_and_line_breaks_as_lf() {
        let cells: Vec<String> = [
            "_x0041\r_x0041",
            "a\r\nb\rc",
            "nul\u{0}bell\u{7}esc\u{1b}del\u{7f}",
            "_x0041\u{fffe}_x0041\u{ffff}\u{ff21}\u{fffd}",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(
            round_trip(&cells),
            [
                "_x0041\n_x0041",
                "a\nb\nc",
                "nul\u{2400}bell\u{2407}esc\u{241b}del\u{2421}",
                "_x0041\u{fffd}_x0041\u{fffd}\u{ff21}\u{fffd}",
            ]
        );
    }

    #[test]
    fn styles_are_listed_in_the_order_of_the_enum() {
        for (i, style) in STYLES.iter().enumerate() {
            assert_eq!(style_index(*style), i, "{style:?}");
        }
    }

    #[test]
    fn every_announced_sheet_must_be_written() {
        let props = Properties {
            created: "2026-10-01T00:00:00Z".into(),
            ..Properties::default()
        };
        let wb = Workbook::new(Vec::new(), &["One", "Two"], &props, 1).unwrap();
        assert!(wb.finish().is_err());
    }

    #[test]
    fn sheets_print_landscape_one_page_wide_with_their_header_and_a_footer() {
        let bytes = workbook_with(|s| {
            s.freeze_panes(1, 0)?;
            s.string(0, 0, "Header", Style::Header)?;
            s.string(1, 0, "value", Style::Text)
        })
        .unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut part = |name: &str| {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
            text
        };
        let sheet = part("xl/worksheets/sheet1.xml");
        assert!(sheet.contains("orientation=\"landscape\""), "{sheet}");
        assert!(
            sheet.contains("fitToWidth=\"1\"") || sheet.contains("fitToHeight=\"0\""),
            "{sheet}"
        );
        assert!(sheet.contains("<pageSetUpPr fitToPage=\"1\"/>"), "{sheet}");
        assert!(
            sheet.contains(
                "&amp;LNorthwind &amp;&amp; Co, 2026-Q3&amp;C&amp;A&amp;RPage &amp;P of &amp;N"
            ),
            "{sheet}"
        );
        let book = part("xl/workbook.xml");
        assert!(book.contains("_xlnm.Print_Titles"), "{book}");
        assert!(book.contains("One!$1:$1"), "{book}");
    }
}

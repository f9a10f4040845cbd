//! A small streaming writer of SpreadsheetML workbooks (`.xlsx`): exactly what `report.xlsx`
//! needs, written straight into the zip container as the sheets are produced.
//!
//! - Cells are strings (in the shared string table), numbers and styled blanks, written row by
//!   row in order; a sheet's XML goes into its zip entry as it is written, so memory holds the
//!   distinct strings and the row being written, not the cells.
//! - Every string is escaped for XML, and Excel's `_xHHHH_` escapes are applied to control
//!   characters and to text that looks like one, so any text comes back as it was given. No
//!   string is ever written as markup (a cell cannot inject runs or elements).
//! - The styles are a fixed table ([`Style`]): the report uses fifteen.
//! - Determinism: no clock is read; the zip entries carry the fixed 1980-01-01 timestamp and
//!   fixed permissions, the shared strings are numbered in the order they are first written.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;

use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::RenderError;

/// Rows of a worksheet (Excel's limit).
pub(crate) const MAX_ROWS: u64 = 1_048_576;
/// Columns of a worksheet (Excel's limit).
pub(crate) const MAX_COLS: u64 = 16_384;

/// A cell format of the workbook: an index into the fixed `cellXfs` table of [`STYLES_XML`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// No formatting.
    Default = 0,
    /// Header cells: bold, filled, bottom border, top-aligned, wrapped.
    Header = 1,
    /// Short text, top-aligned.
    Text = 2,
    /// Long text, top-aligned and wrapped.
    Wrap = 3,
    /// The title of the summary sheet: bold, 14 pt.
    Title = 4,
    /// A count: `#,##0`, top-aligned.
    Number = 5,
    /// Section and group rows: bold, grey fill.
    Section = 6,
    /// A percentage: `0.0%`, top-aligned.
    Percent = 7,
    /// Owner AWS: amber fill, centred, thin grey border.
    OwnerAws = 8,
    /// Owner Shared: blue fill, centred, thin grey border.
    OwnerShared = 9,
    /// Owner Customer: red fill, centred, thin grey border.
    OwnerCustomer = 10,
    /// Severity high: bold, red fill.
    SeverityHigh = 11,
    /// Severity medium: amber fill.
    SeverityMedium = 12,
    /// Severity low: grey fill.
    SeverityLow = 13,
    /// A date: `yyyy-mm-dd`, top-aligned.
    Date = 14,
}

/// The styles part: fonts, fills, borders, number formats and the cell formats of [`Style`], in
/// its order.
const STYLES_XML: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    r##"<numFmts count="3"><numFmt numFmtId="164" formatCode="#,##0"/><numFmt numFmtId="165" formatCode="0.0%"/><numFmt numFmtId="166" formatCode="yyyy-mm-dd"/></numFmts>"##,
    r#"<fonts count="3">"#,
    r#"<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>"#,
    r#"<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>"#,
    r#"<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font>"#,
    r#"</fonts>"#,
    r#"<fills count="10">"#,
    r#"<fill><patternFill patternType="none"/></fill>"#,
    r#"<fill><patternFill patternType="gray125"/></fill>"#,
    r#"<fill><patternFill patternType="solid"><fgColor rgb="FFD9E1F2"/><bgColor indexed="64"/></patternFill></fill>"#,
    r#"<fill><patternFill patternType="solid"><fgColor rgb="FFEDEDED"/><bgColor indexed="64"/></patternFill></fill>"#,
    r#"<fill><patternFill patternType="solid"><fgColor rgb="FFF3C677"/><bgColor indexed="64"/></patternFill></fill>"#,
    r#"<fill><patternFill patternType="solid"><fgColor rgb="FFB7D3F2"/><bgColor indexed="64"/></patternFill></fill>"#,
    r#"<fill><patternFill patternType="solid"><fgColor rgb="FFF2B8B5"/><bgColor indexed="64"/></patternFill></fill>"#,
    r#"<fill><patternFill patternType="solid"><fgColor rgb="FFF4A6A6"/><bgColor indexed="64"/></patternFill></fill>"#,
    r#"<fill><patternFill patternType="solid"><fgColor rgb="FFFFD98C"/><bgColor indexed="64"/></patternFill></fill>"#,
    r#"<fill><patternFill patternType="solid"><fgColor rgb="FFE7E6E6"/><bgColor indexed="64"/></patternFill></fill>"#,
    r#"</fills>"#,
    r#"<borders count="3">"#,
    r#"<border><left/><right/><top/><bottom/><diagonal/></border>"#,
    r#"<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>"#,
    r#"<border><left style="thin"><color rgb="FFBFBFBF"/></left><right style="thin"><color rgb="FFBFBFBF"/></right><top style="thin"><color rgb="FFBFBFBF"/></top><bottom style="thin"><color rgb="FFBFBFBF"/></bottom><diagonal/></border>"#,
    r#"</borders>"#,
    r#"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#,
    r#"<cellXfs count="15">"#,
    r#"<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>"#,
    r#"<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>"#,
    r#"<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment vertical="top"/></xf>"#,
    r#"<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>"#,
    r#"<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>"#,
    r#"<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1"><alignment vertical="top"/></xf>"#,
    r#"<xf numFmtId="0" fontId="1" fillId="3" borderId="0" xfId="0" applyFont="1" applyFill="1"/>"#,
    r#"<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1"><alignment vertical="top"/></xf>"#,
    r#"<xf numFmtId="0" fontId="0" fillId="4" borderId="2" xfId="0" applyFill="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="top"/></xf>"#,
    r#"<xf numFmtId="0" fontId="0" fillId="5" borderId="2" xfId="0" applyFill="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="top"/></xf>"#,
    r#"<xf numFmtId="0" fontId="0" fillId="6" borderId="2" xfId="0" applyFill="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="top"/></xf>"#,
    r#"<xf numFmtId="0" fontId="1" fillId="7" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="top"/></xf>"#,
    r#"<xf numFmtId="0" fontId="0" fillId="8" borderId="0" xfId="0" applyFill="1" applyAlignment="1"><alignment vertical="top"/></xf>"#,
    r#"<xf numFmtId="0" fontId="0" fillId="9" borderId="0" xfId="0" applyFill="1" applyAlignment="1"><alignment vertical="top"/></xf>"#,
    r#"<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1"><alignment vertical="top"/></xf>"#,
    r#"</cellXfs>"#,
    r#"<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>"#,
    r#"<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>"#,
    r#"</styleSheet>"#,
);

/// The XML declaration every part starts with.
const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
/// The SpreadsheetML namespace.
const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
/// The relationships namespace of the officeDocument parts.
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// The document properties of the workbook (`docProps/core.xml` and `docProps/app.xml`).
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
}

/// The shared string table: each distinct string once, numbered in the order first written.
#[derive(Default)]
struct SharedStrings {
    index: HashMap<Box<str>, u32, foldhash::fast::FixedState>,
    /// String cells written (the table's `count`).
    count: u64,
}

impl SharedStrings {
    /// The number of `s` in the table; `None` when the table cannot number another string.
    fn id(&mut self, s: &str) -> Option<u32> {
        self.count += 1;
        if let Some(&id) = self.index.get(s) {
            return Some(id);
        }
        let id = u32::try_from(self.index.len()).ok()?;
        self.index.insert(Box::from(s), id);
        Some(id)
    }
}

/// What the workbook part needs to know of a finished sheet.
struct SheetEntry {
    name: String,
    /// The autofilter's range in `$A$1:$B$2` form, for the hidden defined name Excel expects.
    filter: Option<String>,
}

/// A workbook being written into a zip container on `W`.
pub(crate) struct Workbook<W: Write> {
    zip: ZipWriter<StreamWriter<W>>,
    options: SimpleFileOptions,
    strings: SharedStrings,
    names: Vec<String>,
    sheets: Vec<SheetEntry>,
}

/// Errors of the zip container: its I/O errors stay I/O errors.
fn zip_error(e: zip::result::ZipError) -> RenderError {
    match e {
        zip::result::ZipError::Io(source) => RenderError::Write {
            file: crate::xlsx::XLSX_FILE,
            source,
        },
        other => RenderError::Xlsx(other.to_string()),
    }
}

/// A write error of the workbook file.
fn io_error(source: std::io::Error) -> RenderError {
    RenderError::Write {
        file: crate::xlsx::XLSX_FILE,
        source,
    }
}

impl<W: Write> Workbook<W> {
    /// Starts a workbook with the worksheets `names`, in order: the package parts that do not
    /// depend on the cells are written at once.
    pub(crate) fn new(
        out: W,
        names: &[&str],
        props: &Properties,
        compression_level: i64,
    ) -> Result<Workbook<W>, RenderError> {
        for name in names {
            check_sheet_name(name)?;
        }
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(compression_level))
            .unix_permissions(0o600)
            .last_modified_time(DateTime::default());
        let mut wb = Workbook {
            zip: ZipWriter::new_stream(out),
            options,
            strings: SharedStrings::default(),
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            sheets: Vec::new(),
        };
        wb.part("[Content_Types].xml", &wb.content_types())?;
        wb.part("_rels/.rels", ROOT_RELS)?;
        wb.part("docProps/app.xml", &wb.app_properties(props))?;
        wb.part("docProps/core.xml", &core_properties(props))?;
        wb.part("xl/_rels/workbook.xml.rels", &wb.workbook_rels())?;
        wb.part("xl/styles.xml", STYLES_XML)?;
        Ok(wb)
    }

    /// Writes one whole part.
    fn part(&mut self, name: &str, text: &str) -> Result<(), RenderError> {
        self.zip.start_file(name, self.options).map_err(zip_error)?;
        self.zip.write_all(text.as_bytes()).map_err(io_error)
    }

    /// Starts the next worksheet; it must be finished before another is started.
    pub(crate) fn sheet(&mut self) -> Result<Sheet<'_, W>, RenderError> {
        let index = self.sheets.len();
        let Some(name) = self.names.get(index).cloned() else {
            return Err(RenderError::Xlsx(format!(
                "a worksheet beyond the {} announced",
                self.names.len()
            )));
        };
        self.zip
            .start_file(
                format!("xl/worksheets/sheet{}.xml", index + 1),
                self.options,
            )
            .map_err(zip_error)?;
        self.sheets.push(SheetEntry { name, filter: None });
        Ok(Sheet {
            wb: self,
            index,
            cols: Vec::new(),
            freeze: None,
            started: false,
            row: None,
            last_col: None,
            buf: Vec::with_capacity(1 << 12),
            filter: None,
            validations: String::new(),
        })
    }

    /// Writes the shared strings and the workbook part and closes the container.
    pub(crate) fn finish(mut self) -> Result<W, RenderError> {
        if self.sheets.len() != self.names.len() {
            return Err(RenderError::Xlsx(format!(
                "{} worksheets announced, {} written",
                self.names.len(),
                self.sheets.len()
            )));
        }
        self.zip
            .start_file("xl/sharedStrings.xml", self.options)
            .map_err(zip_error)?;
        let mut ordered: Vec<&str> = vec![""; self.strings.index.len()];
        for (s, &id) in &self.strings.index {
            if let Some(slot) = ordered.get_mut(id as usize) {
                *slot = s;
            }
        }
        let mut buf = String::with_capacity(1 << 16);
        let _ = write!(
            buf,
            "{DECLARATION}<sst xmlns=\"{MAIN_NS}\" count=\"{}\" uniqueCount=\"{}\">",
            self.strings.count,
            ordered.len()
        );
        for s in ordered {
            let edge = [' ', '\t', '\n'];
            if s.starts_with(edge) || s.ends_with(edge) {
                buf.push_str("<si><t xml:space=\"preserve\">");
            } else {
                buf.push_str("<si><t>");
            }
            escape_text(&mut buf, s);
            buf.push_str("</t></si>");
            if buf.len() >= 1 << 16 {
                self.zip.write_all(buf.as_bytes()).map_err(io_error)?;
                buf.clear();
            }
        }
        buf.push_str("</sst>");
        self.zip.write_all(buf.as_bytes()).map_err(io_error)?;

        let workbook = self.workbook_xml();
        self.part("xl/workbook.xml", &workbook)?;
        let stream = self.zip.finish().map_err(zip_error)?;
        Ok(stream.into_inner())
    }

    fn content_types(&self) -> String {
        let mut x = format!(
            "{DECLARATION}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>\
             <Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
             <Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
        );
        for i in 1..=self.names.len() {
            let _ = write!(
                x,
                "<Override PartName=\"/xl/worksheets/sheet{i}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
            );
        }
        x.push_str(
            "<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/></Types>",
        );
        x
    }

    fn app_properties(&self, props: &Properties) -> String {
        let n = self.names.len();
        let mut x = format!(
            "{DECLARATION}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" \
             xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">\
             <Application>srmatrix</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>\
             <HeadingPairs><vt:vector size=\"2\" baseType=\"variant\"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>\
             <vt:variant><vt:i4>{n}</vt:i4></vt:variant></vt:vector></HeadingPairs>\
             <TitlesOfParts><vt:vector size=\"{n}\" baseType=\"lpstr\">"
        );
        for name in &self.names {
            x.push_str("<vt:lpstr>");
            escape_xml(&mut x, name);
            x.push_str("</vt:lpstr>");
        }
        x.push_str("</vt:vector></TitlesOfParts><Company>");
        escape_xml(&mut x, &props.company);
        x.push_str(
            "</Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>\
             <HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000</AppVersion></Properties>",
        );
        x
    }

    fn workbook_rels(&self) -> String {
        let mut x = format!("{DECLARATION}<Relationships xmlns=\"{PACKAGE_RELS_NS}\">");
        let n = self.names.len();
        for i in 1..=n {
            let _ = write!(
                x,
                "<Relationship Id=\"rId{i}\" Type=\"{REL_NS}/worksheet\" Target=\"worksheets/sheet{i}.xml\"/>"
            );
        }
        let _ = write!(
            x,
            "<Relationship Id=\"rId{}\" Type=\"{REL_NS}/styles\" Target=\"styles.xml\"/>\
             <Relationship Id=\"rId{}\" Type=\"{REL_NS}/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>",
            n + 1,
            n + 2
        );
        x
    }

    fn workbook_xml(&self) -> String {
        let mut x = format!(
            "{DECLARATION}<workbook xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\">\
             <bookViews><workbookView xWindow=\"240\" yWindow=\"15\" windowWidth=\"16095\" windowHeight=\"9660\"/></bookViews><sheets>"
        );
        for (i, s) in self.sheets.iter().enumerate() {
            x.push_str("<sheet name=\"");
            escape_xml(&mut x, &s.name);
            let _ = write!(x, "\" sheetId=\"{}\" r:id=\"rId{}\"/>", i + 1, i + 1);
        }
        x.push_str("</sheets>");
        if self.sheets.iter().any(|s| s.filter.is_some()) {
            x.push_str("<definedNames>");
            for (i, s) in self.sheets.iter().enumerate() {
                if let Some(range) = &s.filter {
                    let _ = write!(
                        x,
                        "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"{i}\" hidden=\"1\">"
                    );
                    escape_xml(&mut x, &quoted_sheet_name(&s.name));
                    x.push('!');
                    x.push_str(range);
                    x.push_str("</definedName>");
                }
            }
            x.push_str("</definedNames>");
        }
        x.push_str("</workbook>");
        x
    }
}

/// The package relationships namespace.
const PACKAGE_RELS_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

/// The package's root relationships: the workbook and the two property parts.
const ROOT_RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>",
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>",
    "</Relationships>",
);

fn core_properties(props: &Properties) -> String {
    let mut x = format!(
        "{DECLARATION}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>"
    );
    escape_xml(&mut x, &props.title);
    x.push_str("</dc:title><dc:subject>");
    escape_xml(&mut x, &props.subject);
    x.push_str("</dc:subject><dc:creator></dc:creator><dc:description>");
    escape_xml(&mut x, &props.description);
    x.push_str("</dc:description><cp:lastModifiedBy></cp:lastModifiedBy>");
    for tag in ["created", "modified"] {
        x.push_str("<dcterms:");
        x.push_str(tag);
        x.push_str(" xsi:type=\"dcterms:W3CDTF\">");
        escape_xml(&mut x, &props.created);
        x.push_str("</dcterms:");
        x.push_str(tag);
        x.push('>');
    }
    x.push_str("</cp:coreProperties>");
    x
}

/// Excel's rules for sheet names: 1 to 31 characters, none of `[]:*?/\`, not starting or
/// ending with an apostrophe.
fn check_sheet_name(name: &str) -> Result<(), RenderError> {
    let bad = name.is_empty()
        || name.chars().count() > 31
        || name.contains(['[', ']', ':', '*', '?', '/', '\\'])
        || name.starts_with('\'')
        || name.ends_with('\'');
    if bad {
        return Err(RenderError::Xlsx(format!(
            "`{name}` is not a valid worksheet name"
        )));
    }
    Ok(())
}

/// A sheet name as a formula reference, always quoted: unquoted, a name such as `A1`, `R1C1` or
/// `TRUE` would read as something else.
fn quoted_sheet_name(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

/// A data validation of a column range, written after the sheet's cells.
pub(crate) enum Validation<'a> {
    /// One of a list of strings (a drop-down).
    List(&'a [&'a str]),
    /// A date between two dates, as Excel serial day numbers.
    DateBetween(u32, u32),
}

/// The prompt and error texts of a [`Validation`].
pub(crate) struct ValidationText<'a> {
    /// Title of the input prompt.
    pub prompt_title: &'a str,
    /// The input prompt.
    pub prompt: &'a str,
    /// Title of the error message.
    pub error_title: &'a str,
    /// The error message; the entry is refused (stop style).
    pub error: &'a str,
}

/// A worksheet being written. Settings (column widths and formats, frozen panes) come before
/// the first row after the first; cells are written in row order, left to right within a row.
pub(crate) struct Sheet<'a, W: Write> {
    wb: &'a mut Workbook<W>,
    index: usize,
    /// Columns: first, last (0-based), width in characters, style.
    cols: Vec<(u16, u16, f64, Option<Style>)>,
    freeze: Option<(u32, u16)>,
    /// Whether `<sheetData>` has begun (settings can no longer change).
    started: bool,
    /// The row being written (0-based).
    row: Option<u32>,
    last_col: Option<u16>,
    buf: Vec<u8>,
    filter: Option<(u32, u16, u32, u16)>,
    validations: String,
}

impl<W: Write> Sheet<'_, W> {
    /// Sets the width (in characters, as Excel shows it) and optionally the format of a column.
    pub(crate) fn column(
        &mut self,
        col: u16,
        width: f64,
        style: Option<Style>,
    ) -> Result<(), RenderError> {
        self.settable("column width")?;
        check_col(col)?;
        match self.cols.last_mut() {
            Some(last) if last.1 + 1 == col && last.2 == width && last.3 == style => last.1 = col,
            Some(last) if last.1 >= col => {
                return Err(RenderError::Xlsx(format!(
                    "column {col} set after column {}",
                    last.1
                )));
            }
            _ => self.cols.push((col, col, width, style)),
        }
        Ok(())
    }

    /// Freezes the rows above `row` and the columns left of `col`.
    pub(crate) fn freeze_panes(&mut self, row: u32, col: u16) -> Result<(), RenderError> {
        self.settable("frozen panes")?;
        self.freeze = Some((row, col));
        Ok(())
    }

    fn settable(&self, what: &str) -> Result<(), RenderError> {
        if self.started {
            return Err(RenderError::Xlsx(format!(
                "{what} set after the first rows were written"
            )));
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
        self.cell(row, col, style)?;
        let Some(id) = self.wb.strings.id(s) else {
            return Err(RenderError::Xlsx(
                "more distinct texts than a workbook's shared string table can number".into(),
            ));
        };
        self.buf.extend_from_slice(b" t=\"s\"><v>");
        push_u64(&mut self.buf, u64::from(id));
        self.buf.extend_from_slice(b"</v></c>");
        Ok(())
    }

    /// Writes a whole number.
    pub(crate) fn integer(
        &mut self,
        row: u32,
        col: u16,
        n: u64,
        style: Style,
    ) -> Result<(), RenderError> {
        self.cell(row, col, style)?;
        self.buf.extend_from_slice(b"><v>");
        push_u64(&mut self.buf, n);
        self.buf.extend_from_slice(b"</v></c>");
        Ok(())
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
        self.cell(row, col, style)?;
        self.buf.extend_from_slice(b"><v>");
        let _ = write!(self.buf, "{n}");
        self.buf.extend_from_slice(b"</v></c>");
        Ok(())
    }

    /// Writes an empty cell with a style.
    pub(crate) fn blank(&mut self, row: u32, col: u16, style: Style) -> Result<(), RenderError> {
        self.cell(row, col, style)?;
        self.buf.extend_from_slice(b"/>");
        Ok(())
    }

    /// Opens a cell element up to its attributes: `<c r="B7" s="3"`.
    fn cell(&mut self, row: u32, col: u16, style: Style) -> Result<(), RenderError> {
        check_col(col)?;
        if u64::from(row) >= MAX_ROWS {
            return Err(RenderError::Xlsx(format!(
                "row {} is beyond Excel's limit of {MAX_ROWS}",
                u64::from(row) + 1
            )));
        }
        match self.row {
            Some(r) if r == row => {
                if self.last_col.is_some_and(|c| c >= col) {
                    return Err(out_of_order(row, col));
                }
            }
            Some(r) if r > row => return Err(out_of_order(row, col)),
            _ => {
                // The first row waits in the buffer: the settings written before the cells
                // may still change while it is written (a table's header row).
                if self.row.is_some() && !self.started {
                    self.begin_data()?;
                }
                self.end_row()?;
                self.buf.extend_from_slice(b"<row r=\"");
                push_u64(&mut self.buf, u64::from(row) + 1);
                self.buf.extend_from_slice(b"\">");
                self.row = Some(row);
            }
        }
        self.last_col = Some(col);
        self.buf.extend_from_slice(b"<c r=\"");
        push_cell_ref(&mut self.buf, row, col);
        self.buf.extend_from_slice(b"\"");
        if style != Style::Default {
            self.buf.extend_from_slice(b" s=\"");
            push_u64(&mut self.buf, style as u64);
            self.buf.extend_from_slice(b"\"");
        }
        Ok(())
    }

    /// Closes the open row and passes the buffer on when it is full.
    fn end_row(&mut self) -> Result<(), RenderError> {
        if self.row.take().is_some() {
            self.buf.extend_from_slice(b"</row>");
            self.last_col = None;
        }
        if self.started && self.buf.len() >= 1 << 16 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), RenderError> {
        self.wb.zip.write_all(&self.buf).map_err(io_error)?;
        self.buf.clear();
        Ok(())
    }

    /// Writes everything before the cells: views, frozen panes, columns.
    fn begin_data(&mut self) -> Result<(), RenderError> {
        let mut x = format!(
            "{DECLARATION}<worksheet xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\"><sheetViews><sheetView"
        );
        if self.index == 0 {
            x.push_str(" tabSelected=\"1\"");
        }
        x.push_str(" workbookViewId=\"0\">");
        match self.freeze {
            Some((r, c)) if r > 0 || c > 0 => {
                let top_left = cell_ref(r, c);
                let pane = match (r > 0, c > 0) {
                    (true, true) => "bottomRight",
                    (true, false) => "bottomLeft",
                    _ => "topRight",
                };
                x.push_str("<pane");
                if c > 0 {
                    let _ = write!(x, " xSplit=\"{c}\"");
                }
                if r > 0 {
                    let _ = write!(x, " ySplit=\"{r}\"");
                }
                let _ = write!(
                    x,
                    " topLeftCell=\"{top_left}\" activePane=\"{pane}\" state=\"frozen\"/>"
                );
                if r > 0 && c > 0 {
                    let _ = write!(
                        x,
                        "<selection pane=\"topRight\" activeCell=\"{0}\" sqref=\"{0}\"/>\
                         <selection pane=\"bottomLeft\" activeCell=\"{1}\" sqref=\"{1}\"/>",
                        cell_ref(0, c),
                        cell_ref(r, 0)
                    );
                }
                let _ = write!(x, "<selection pane=\"{pane}\"/>");
            }
            _ => {}
        }
        x.push_str("</sheetView></sheetViews><sheetFormatPr defaultRowHeight=\"15\"/>");
        if !self.cols.is_empty() {
            x.push_str("<cols>");
            for &(first, last, width, style) in &self.cols {
                // Excel stores the width of the column in characters of the default font
                // including padding: 7-pixel digits and 5 pixels of padding (Calibri 11).
                let pixels = (width.max(0.0) * 7.0 + 0.5) as u32 + 5;
                let chars = f64::from(pixels * 256 / 7) / 256.0;
                let _ = write!(
                    x,
                    "<col min=\"{}\" max=\"{}\" width=\"{chars}\"",
                    first + 1,
                    last + 1
                );
                if let Some(s) = style {
                    let _ = write!(x, " style=\"{}\"", s as u8);
                }
                x.push_str(" customWidth=\"1\"/>");
            }
            x.push_str("</cols>");
        }
        x.push_str("<sheetData>");
        self.wb.zip.write_all(x.as_bytes()).map_err(io_error)?;
        self.started = true;
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
        check_col(last_col)?;
        self.filter = Some((first_row, first_col, last_row, last_col));
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
        check_col(col)?;
        let list = match rule {
            Validation::List(items) => {
                if items.iter().any(|i| i.contains([',', '"']) || i.is_empty()) {
                    return Err(RenderError::Xlsx(
                        "a list validation item is empty or holds a comma or a quote".into(),
                    ));
                }
                let list = items.join(",");
                // Excel's limit on the text of a list validation.
                if list.chars().count() > 255 {
                    return Err(RenderError::Xlsx(
                        "a list validation longer than 255 characters".into(),
                    ));
                }
                list
            }
            Validation::DateBetween(..) => String::new(),
        };
        let x = &mut self.validations;
        x.push_str("<dataValidation type=\"");
        x.push_str(match rule {
            Validation::List(_) => "list",
            Validation::DateBetween(..) => "date",
        });
        x.push_str(
            "\" allowBlank=\"1\" showInputMessage=\"1\" showErrorMessage=\"1\" errorTitle=\"",
        );
        escape_xml(x, text.error_title);
        x.push_str("\" error=\"");
        escape_xml(x, text.error);
        x.push_str("\" promptTitle=\"");
        escape_xml(x, text.prompt_title);
        x.push_str("\" prompt=\"");
        escape_xml(x, text.prompt);
        let _ = write!(
            x,
            "\" sqref=\"{}:{}\">",
            cell_ref(first_row, col),
            cell_ref(last_row, col)
        );
        match rule {
            Validation::List(_) => {
                x.push_str("<formula1>\"");
                escape_xml(x, &list);
                x.push_str("\"</formula1>");
            }
            Validation::DateBetween(from, to) => {
                let _ = write!(x, "<formula1>{from}</formula1><formula2>{to}</formula2>");
            }
        }
        x.push_str("</dataValidation>");
        Ok(())
    }

    /// Ends the sheet: the open row, the autofilter, the validations.
    pub(crate) fn finish(mut self) -> Result<(), RenderError> {
        if !self.started {
            self.begin_data()?;
        }
        self.end_row()?;
        self.buf.extend_from_slice(b"</sheetData>");
        if let Some((r1, c1, r2, c2)) = self.filter {
            let _ = write!(
                self.buf,
                "<autoFilter ref=\"{}:{}\"/>",
                cell_ref(r1, c1),
                cell_ref(r2, c2)
            );
            if let Some(entry) = self.wb.sheets.get_mut(self.index) {
                entry.filter = Some(format!(
                    "${}${}:${}${}",
                    col_name(c1),
                    r1 + 1,
                    col_name(c2),
                    r2 + 1
                ));
            }
        }
        if !self.validations.is_empty() {
            let count = self.validations.matches("<dataValidation ").count();
            let _ = write!(self.buf, "<dataValidations count=\"{count}\">");
            self.buf.extend_from_slice(self.validations.as_bytes());
            self.buf.extend_from_slice(b"</dataValidations>");
        }
        self.buf.extend_from_slice(
            b"<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/></worksheet>",
        );
        self.flush()
    }
}

fn out_of_order(row: u32, col: u16) -> RenderError {
    RenderError::Xlsx(format!(
        "cell {} written after a later one (rows are written in order)",
        cell_ref(row, col)
    ))
}

fn check_col(col: u16) -> Result<(), RenderError> {
    if u64::from(col) >= MAX_COLS {
        return Err(RenderError::Xlsx(format!(
            "column {} is beyond Excel's limit of {MAX_COLS}",
            u64::from(col) + 1
        )));
    }
    Ok(())
}

/// Appends the decimal digits of `n`.
fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Byte by byte: a copy of a few bytes of varying length would be a call to memcpy.
    buf.reserve(digits.len() - i);
    for &d in &digits[i..] {
        buf.push(d);
    }
}

/// Appends the letters of a column: A … Z, AA … XFD.
fn push_col_name(buf: &mut Vec<u8>, col: u16) {
    let mut letters = [0u8; 3];
    let mut i = letters.len();
    let mut n = u32::from(col) + 1;
    while n > 0 && i > 0 {
        i -= 1;
        letters[i] = b'A' + ((n - 1) % 26) as u8;
        n = (n - 1) / 26;
    }
    for &l in &letters[i..] {
        buf.push(l);
    }
}

/// Appends a cell reference: `B7` for row 6, column 1.
fn push_cell_ref(buf: &mut Vec<u8>, row: u32, col: u16) {
    push_col_name(buf, col);
    push_u64(buf, u64::from(row) + 1);
}

fn col_name(col: u16) -> String {
    let mut b = Vec::with_capacity(3);
    push_col_name(&mut b, col);
    String::from_utf8_lossy(&b).into_owned()
}

fn cell_ref(row: u32, col: u16) -> String {
    let mut b = Vec::with_capacity(10);
    push_cell_ref(&mut b, row, col);
    String::from_utf8_lossy(&b).into_owned()
}

/// Appends `s` as XML character data the way Excel writes string values: `&`, `<` and `>`
/// escaped; control characters other than tab and line feed, and U+FFFE and U+FFFF (which XML
/// cannot carry) as `_xHHHH_`; and the `_` of every `_x` followed by four hex digits as `_x005F_`
/// (whatever follows them: the escape of a next character may supply the closing `_`), so that
/// reading the escapes back gives the text exactly.
pub(crate) fn escape_text(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find(|c: char| {
        matches!(c, '&' | '<' | '>' | '_' | '\u{FFFE}' | '\u{FFFF}')
            || (c < ' ' && c != '\t' && c != '\n')
    }) {
        out.push_str(&rest[..i]);
        let c = rest[i..].chars().next().unwrap_or('_');
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '_' => {
                if looks_like_escape(&rest[i..]) {
                    out.push_str("_x005F");
                }
                out.push('_');
            }
            c => {
                let _ = write!(out, "_x{:04X}_", u32::from(c));
            }
        }
        rest = &rest[i + c.len_utf8()..];
    }
    out.push_str(rest);
}

/// Whether `s` starts with `_x` and four hex digits: with a `_` after them, from the text or from
/// the escape of the next character, a reader would decode it.
fn looks_like_escape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 6 && b[0] == b'_' && b[1] == b'x' && b[2..6].iter().all(u8::is_ascii_hexdigit)
}

/// Appends `s` with the XML escapes only, safe both in a double-quoted attribute and as
/// character data, for parts whose readers do not decode Excel's `_xHHHH_` (attributes, document
/// properties, a defined name's formula). Line breaks and tabs are kept as character references
/// (an attribute value's whitespace is otherwise normalised); other control characters cannot
/// appear in XML and are dropped.
fn escape_xml(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#xA;"),
            '\t' => out.push_str("&#x9;"),
            '\r' => out.push_str("&#xD;"),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        escape_text(&mut out, s);
        out
    }

    #[test]
    fn text_is_escaped_as_excel_reads_it() {
        assert_eq!(escaped("plain text"), "plain text");
        assert_eq!(
            escaped("<r><t>x</t></r>"),
            "&lt;r&gt;&lt;t&gt;x&lt;/t&gt;&lt;/r&gt;"
        );
        assert_eq!(escaped("a & b"), "a &amp; b");
        assert_eq!(escaped("tab\tline\nbreak"), "tab\tline\nbreak");
        assert_eq!(escaped("cr\r\u{1}"), "cr_x000D__x0001_");
        assert_eq!(escaped("\u{FFFE}é"), "_xFFFE_é");
        assert_eq!(escaped("_x0041_"), "_x005F_x0041_");
        // The escape of the next character would close a literal `_x0041`.
        assert_eq!(escaped("_x0041\r"), "_x005F_x0041_x000D_");
        assert_eq!(escaped("_x0041 "), "_x005F_x0041 ");
        assert_eq!(
            escaped("snake_case _x41_ _xZZZZ_"),
            "snake_case _x41_ _xZZZZ_"
        );
    }

    #[test]
    fn cell_references_and_column_names() {
        assert_eq!(cell_ref(0, 0), "A1");
        assert_eq!(cell_ref(6, 1), "B7");
        assert_eq!(col_name(25), "Z");
        assert_eq!(col_name(26), "AA");
        assert_eq!(col_name(701), "ZZ");
        assert_eq!(col_name(702), "AAA");
        assert_eq!(col_name(16_383), "XFD");
        let mut b = Vec::new();
        push_u64(&mut b, 0);
        push_u64(&mut b, 1_048_576);
        assert_eq!(b, b"01048576");
    }

    #[test]
    fn sheet_names_follow_excels_rules() {
        assert!(check_sheet_name("Evidence tracker").is_ok());
        for bad in ["", "a/b", "x".repeat(32).as_str(), "'quoted", "q?"] {
            assert!(check_sheet_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(quoted_sheet_name("CRM"), "'CRM'");
        assert_eq!(quoted_sheet_name("R1C1"), "'R1C1'");
        assert_eq!(quoted_sheet_name("Team actions"), "'Team actions'");
        assert_eq!(quoted_sheet_name("O'Brien"), "'O''Brien'");
    }

    fn workbook_with(
        cells: impl FnOnce(&mut Sheet<'_, Vec<u8>>) -> Result<(), RenderError>,
    ) -> Result<Vec<u8>, RenderError> {
        let mut wb = Workbook::new(Vec::new(), &["One"], &Properties::default(), 1)?;
        let mut sheet = wb.sheet()?;
        cells(&mut sheet)?;
        sheet.finish()?;
        wb.finish()
    }

    #[test]
    fn cells_must_come_in_order() {
        assert!(
            workbook_with(|s| {
                s.string(0, 0, "a", Style::Text)?;
                s.string(0, 2, "b", Style::Text)?;
                s.string(3, 1, "c", Style::Text)
            })
            .is_ok()
        );
        let err = workbook_with(|s| {
            s.string(1, 0, "a", Style::Text)?;
            s.string(0, 0, "b", Style::Text)
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("A1 written after a later one"), "{err}");
        assert!(
            workbook_with(|s| {
                s.string(0, 1, "a", Style::Text)?;
                s.string(0, 1, "b", Style::Text)
            })
            .is_err()
        );
        let err = workbook_with(|s| {
            s.string(0, 0, "a", Style::Text)?;
            s.string(1, 0, "a", Style::Text)?;
            s.column(0, 10.0, None)
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("after the first rows"), "{err}");
        assert!(workbook_with(|s| s.number(0, 0, f64::NAN, Style::Number)).is_err());
        assert!(workbook_with(|s| s.string(0, 16_384, "x", Style::Text)).is_err());
        assert!(workbook_with(|s| s.string(1_048_576, 0, "x", Style::Text)).is_err());
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

    #[test]
    fn hostile_strings_come_back_as_written() {
        let cells: Vec<String> = [
            "<r><t>a</t></r></si><si><r><t>b</t></r>",
            "</t></si></sst>",
            "]]><!-- -->",
            "&amp; &lt; \" '",
            "_x0041_ _x005F_x0041_ _x41_",
            "_x0041\r_x0041\u{1}id_x00e9\u{FFFF}tail _x0041",
            " leading and trailing ",
            "\ttab\nline",
            "cr\r\nlf",
            "nul\u{0}bell\u{7}esc\u{1b}",
            "\u{FFFE}\u{FFFF}\u{FFFD}",
            "emoji 🙂 and é",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(round_trip(&cells), cells);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn any_text_comes_back_as_written(
            cells in proptest::collection::vec(
                "(_x00[0-9A-F]{2}|[\\x00-\\x1F<>&\"'_x0-9A-F ]|\\PC){1,40}",
                1..8,
            )
        ) {
            proptest::prop_assert_eq!(round_trip(&cells), cells);
        }
    }

    #[test]
    fn every_announced_sheet_must_be_written() {
        let wb = Workbook::new(Vec::new(), &["One", "Two"], &Properties::default(), 1).unwrap();
        assert!(wb.finish().is_err());
    }
}

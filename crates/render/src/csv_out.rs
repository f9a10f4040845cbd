//! CSV documents, written with `csv::Writer` and safe to open in a spreadsheet.

use std::borrow::Cow;

use crate::RenderError;
use crate::context::ReportContext;

/// The header of `report.csv`.
pub const REPORT_CSV_HEADER: [&str; 19] = [
    "service_id",
    "service_name",
    "category",
    "control_id",
    "control_title",
    "domain",
    "owner",
    "aws_responsibility",
    "customer_responsibility",
    "customer_team",
    "evidence",
    "frameworks",
    "accounts",
    "regions",
    "resource_count",
    "environments",
    "data_classifications",
    "basis",
    "source",
];

/// Makes a cell safe to open in a spreadsheet, following OWASP's CSV injection guidance: a cell
/// that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` so that it
/// is read as text, never as a formula.
pub fn neutralise_formula(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Writes `report.csv`: one row per service in use × control.
pub fn write_report_csv(ctx: &ReportContext) -> Result<Vec<u8>, RenderError> {
    let err = |e: csv::Error| RenderError::Csv {
        file: "report.csv",
        message: e.to_string(),
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(REPORT_CSV_HEADER).map_err(err)?;
    for s in &ctx.services {
        let accounts = s.accounts.join("; ");
        let regions = s.regions.join("; ");
        let envs = s.environments.join("; ");
        let classes = s.classifications.join("; ");
        let resources = s.resources.to_string();
        for r in &s.responsibilities {
            let row: [&str; 19] = [
                &s.id,
                &s.name,
                s.category.as_str(),
                &r.control,
                &r.title,
                &r.domain,
                r.owner.as_str(),
                &r.aws,
                &r.customer,
                &r.customer_teams.join("; "),
                &r.evidence.join(" | "),
                &r.frameworks,
                &accounts,
                &regions,
                &resources,
                &envs,
                &classes,
                &r.basis,
                &r.source,
            ];
            w.write_record(row.iter().map(|c| neutralise_formula(c).into_owned()))
                .map_err(err)?;
        }
    }
    w.into_inner().map_err(|e| RenderError::Csv {
        file: "report.csv",
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_formula_trigger_is_neutralised() {
        for c in ['=', '+', '-', '@', '\t', '\r'] {
            let cell = format!("{c}SUM(A1:A9)");
            assert_eq!(neutralise_formula(&cell), format!("'{cell}"), "{c:?}");
        }
        assert_eq!(neutralise_formula("AWS"), "AWS");
        assert_eq!(neutralise_formula("a=b"), "a=b");
        assert_eq!(neutralise_formula(""), "");
    }
}

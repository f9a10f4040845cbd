//! CSV documents, written with `csv::Writer` and safe to open in a spreadsheet.

use std::borrow::Cow;
use std::io::Write;

use crate::context::ReportContext;
use crate::{Output, RenderError, Written};

/// The header of `report.csv`.
pub const REPORT_CSV_HEADER: [&str; 22] = [
    "service_id",
    "service_name",
    "category",
    "control_id",
    "control_title",
    "domain",
    "owner",
    "ccm_ssrm_ownership",
    "fedramp_can_be_inherited",
    "fedramp_origination",
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

/// A CSV document being written: formula-safe cells, CRLF line ends (RFC 4180).
struct Sheet<W: Write> {
    file: &'static str,
    w: csv::Writer<W>,
}

impl<W: Write> Sheet<W> {
    fn new<O: Output<Writer = W>>(
        out: &O,
        file: &'static str,
        header: &[&str],
    ) -> Result<Sheet<W>, RenderError> {
        let w = out
            .create(file)
            .map_err(|source| RenderError::Write { file, source })?;
        let mut sheet = Sheet {
            file,
            w: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .buffer_capacity(1 << 16)
                .from_writer(w),
        };
        sheet.row(header)?;
        Ok(sheet)
    }

    /// A write failure of the underlying writer stays an I/O error naming the file.
    fn error(&self, e: csv::Error) -> RenderError {
        let message = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(source) => RenderError::Write {
                file: self.file,
                source,
            },
            _ => RenderError::Csv {
                file: self.file,
                message,
            },
        }
    }

    /// Writes one record, each cell neutralised, without copying cells that need no change.
    fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), RenderError> {
        for c in cells {
            if let Err(e) = self
                .w
                .write_field(neutralise_formula(c.as_ref()).as_bytes())
            {
                return Err(self.error(e));
            }
        }
        self.w
            .write_record(None::<&[u8]>)
            .map_err(|e| self.error(e))
    }

    fn finish(self) -> Result<Written<W>, RenderError> {
        let file = self.file;
        let writer = self.w.into_inner().map_err(|e| RenderError::Write {
            file,
            source: e.into_error(),
        })?;
        Ok(Written {
            file_name: file,
            writer,
        })
    }
}

/// Writes every CSV document: `report.csv`, `findings.csv`, `team-actions.csv`,
/// `crosswalk.csv`, `crm.csv` (FedRAMP CRM-shaped) and `caiq.csv` (CAIQ-shaped).
pub fn write_csv_documents<O: Output>(
    ctx: &ReportContext,
    output: &O,
) -> Result<Vec<Written<O::Writer>>, RenderError> {
    let mut out = vec![write_report_csv(ctx, output)?];

    let mut f = Sheet::new(
        output,
        "findings.csv",
        &["severity", "code", "subject", "count", "finding", "action"],
    )?;
    for x in &ctx.findings {
        f.row(&[
            x.severity.to_string(),
            x.code.to_owned(),
            x.subject.clone(),
            x.count.to_string(),
            x.message.clone(),
            x.action.clone(),
        ])?;
    }
    out.push(f.finish()?);

    let mut t = Sheet::new(
        output,
        "team-actions.csv",
        &[
            "team",
            "control_id",
            "control_title",
            "owner",
            "customer_responsibility",
            "evidence",
            "services",
        ],
    )?;
    for team in &ctx.team_actions {
        for a in &team.actions {
            t.row(&[
                team.team.as_str(),
                &a.control,
                &a.title,
                a.owner.as_str(),
                &a.customer,
                &a.evidence.join(" | "),
                &a.services.join("; "),
            ])?;
        }
    }
    out.push(t.finish()?);

    let mut c = Sheet::new(
        output,
        "crosswalk.csv",
        &[
            "framework",
            "requirement_id",
            "control_id",
            "control_title",
            "inheritance",
            "services_aws",
            "services_shared",
            "services_customer",
        ],
    )?;
    for fw in &ctx.crosswalk {
        for req in &fw.requirements {
            for ctl in &req.controls {
                c.row(&[
                    fw.framework.as_str(),
                    &req.id,
                    &ctl.control,
                    &ctl.title,
                    ctl.inheritance,
                    &ctl.owners.aws.to_string(),
                    &ctl.owners.shared.to_string(),
                    &ctl.owners.customer.to_string(),
                ])?;
            }
        }
    }
    out.push(c.finish()?);

    let mut crm = Sheet::new(
        output,
        "crm.csv",
        &[
            "control_id",
            "service_id",
            "can_be_inherited_from_csp",
            "control_origination",
            "specific_inheritance_and_customer_responsibilities",
            "frameworks",
        ],
    )?;
    let mut caiq = Sheet::new(
        output,
        "caiq.csv",
        &[
            "ccm_control_id",
            "srm_control_id",
            "service_id",
            "ssrm_control_ownership",
            "csp_implementation_description",
            "csc_responsibilities",
        ],
    )?;
    for s in &ctx.services {
        for r in &s.responsibilities {
            crm.row(&[
                r.control.as_str(),
                &s.id,
                &r.fedramp_inheritable,
                &r.fedramp_origination,
                &format!("AWS: {} Customer: {}", r.aws, r.customer),
                &r.frameworks,
            ])?;
            for ccm in &r.ccm_ids {
                caiq.row(&[
                    ccm.as_str(),
                    &r.control,
                    &s.id,
                    &r.ccm_ownership,
                    &r.aws,
                    &r.customer,
                ])?;
            }
        }
    }
    out.push(crm.finish()?);
    out.push(caiq.finish()?);
    if let Some(c) = &ctx.changes {
        let file = "changes.csv";
        let bytes = crate::diff::to_csv(c)?;
        let mut w = output
            .create(file)
            .map_err(|source| RenderError::Write { file, source })?;
        w.write_all(&bytes)
            .and_then(|()| w.flush())
            .map_err(|source| RenderError::Write { file, source })?;
        out.push(Written {
            file_name: file,
            writer: w,
        });
    }
    Ok(out)
}

/// Writes `report.csv`: one row per service in use × control.
pub fn write_report_csv<O: Output>(
    ctx: &ReportContext,
    output: &O,
) -> Result<Written<O::Writer>, RenderError> {
    let mut w = Sheet::new(output, "report.csv", &REPORT_CSV_HEADER)?;
    for s in &ctx.services {
        let accounts = s.accounts.join("; ");
        let regions = s.regions.join("; ");
        let envs = s.environments.join("; ");
        let classes = s.classifications.join("; ");
        let resources = s.resources.to_string();
        for r in &s.responsibilities {
            let row: [&str; 22] = [
                &s.id,
                &s.name,
                s.category.as_str(),
                &r.control,
                &r.title,
                &r.domain,
                r.owner.as_str(),
                &r.ccm_ownership,
                &r.fedramp_inheritable,
                &r.fedramp_origination,
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
            w.row(&row)?;
        }
    }
    w.finish()
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

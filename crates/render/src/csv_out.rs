//! CSV documents, written with `csv::Writer` and safe to open in a spreadsheet.

use std::borrow::Cow;

use crate::context::ReportContext;
use crate::{Document, RenderError};

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
struct Sheet {
    file: &'static str,
    w: csv::Writer<Vec<u8>>,
}

impl Sheet {
    fn new(file: &'static str, header: &[&str]) -> Result<Sheet, RenderError> {
        let mut sheet = Sheet {
            file,
            w: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(Vec::new()),
        };
        sheet.row(header)?;
        Ok(sheet)
    }

    fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), RenderError> {
        let file = self.file;
        self.w
            .write_record(
                cells
                    .iter()
                    .map(|c| neutralise_formula(c.as_ref()).into_owned()),
            )
            .map_err(|e| RenderError::Csv {
                file,
                message: e.to_string(),
            })
    }

    fn finish(self) -> Result<Document, RenderError> {
        let file = self.file;
        let bytes = self.w.into_inner().map_err(|e| RenderError::Csv {
            file,
            message: e.to_string(),
        })?;
        Ok(Document {
            file_name: file,
            bytes,
        })
    }
}

/// Writes every CSV document: `report.csv`, `findings.csv`, `team-actions.csv`,
/// `crosswalk.csv`, `crm.csv` (FedRAMP CRM-shaped) and `caiq.csv` (CAIQ-shaped).
pub fn write_csv_documents(ctx: &ReportContext) -> Result<Vec<Document>, RenderError> {
    let mut out = vec![Document {
        file_name: "report.csv",
        bytes: write_report_csv(ctx)?,
    }];

    let mut f = Sheet::new(
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
        out.push(Document {
            file_name: "changes.csv",
            bytes: crate::diff::to_csv(c)?,
        });
    }
    Ok(out)
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

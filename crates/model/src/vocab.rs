//! The fixed vocabulary of the model: who owns a control and how a service is classified.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Who owns a control for a service under the Shared Responsibility Model.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Owner {
    /// AWS alone: "security of the cloud".
    #[serde(rename = "AWS")]
    Aws,
    /// Both parties, each for its own layer.
    Shared,
    /// The customer alone: "security in the cloud".
    Customer,
}

impl Owner {
    /// All owners, in report order.
    pub const ALL: [Owner; 3] = [Owner::Aws, Owner::Shared, Owner::Customer];

    /// The label used in reports and catalog files: `AWS`, `Shared`, `Customer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Owner::Aws => "AWS",
            Owner::Shared => "Shared",
            Owner::Customer => "Customer",
        }
    }

    /// One letter for dense matrices: `A`, `S`, `C`.
    pub fn letter(self) -> &'static str {
        match self {
            Owner::Aws => "A",
            Owner::Shared => "S",
            Owner::Customer => "C",
        }
    }

    /// Whether the customer has something to do for this control.
    pub fn customer_acts(self) -> bool {
        matches!(self, Owner::Shared | Owner::Customer)
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Owner {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Owner::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown owner `{s}` (expected AWS, Shared or Customer)"))
    }
}

/// The service category of the Shared Responsibility Model, which sets the default split.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Customer runs the guest OS and network configuration (EC2, EBS, VPC).
    Infrastructure,
    /// AWS runs the OS and platform; the customer configures it (RDS, EMR, Elastic Beanstalk).
    Container,
    /// AWS runs everything below the API; the customer owns data, access and code (S3, DynamoDB, SQS, Lambda).
    Abstracted,
}

impl Category {
    /// All categories, in report order.
    pub const ALL: [Category; 3] = [
        Category::Infrastructure,
        Category::Container,
        Category::Abstracted,
    ];

    /// The id used in catalog files: `infrastructure`, `container`, `abstracted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Infrastructure => "infrastructure",
            Category::Container => "container",
            Category::Abstracted => "abstracted",
        }
    }

    /// Position in [`Category::ALL`], used to index per-category tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("unknown category `{s}` (expected infrastructure, container or abstracted)")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_round_trips_case_insensitively() {
        for o in Owner::ALL {
            assert_eq!(o.as_str().to_lowercase().parse::<Owner>(), Ok(o));
        }
        assert!("aws-ish".parse::<Owner>().is_err());
    }

    #[test]
    fn category_index_matches_all_order() {
        for (i, c) in Category::ALL.into_iter().enumerate() {
            assert_eq!(c.index(), i);
            assert_eq!(c.as_str().parse::<Category>(), Ok(c));
        }
    }

    #[test]
    fn only_shared_and_customer_mean_customer_work() {
        assert!(!Owner::Aws.customer_acts());
        assert!(Owner::Shared.customer_acts());
        assert!(Owner::Customer.customer_acts());
    }
}

//! Which columns of a Parquet file are read: the leaves of the columns the plan needs, each
//! with the [`Kind`] of text its values become, and the map columns that carry tags.

use parquet::basic::{ConvertedType, LogicalType, Repetition, TimeUnit, Type as Physical};
use parquet::file::metadata::ParquetMetaData;
use parquet::schema::types::{ColumnDescPtr, SchemaDescriptor, Type as SchemaType};

use super::error;
use crate::ImportError;
use crate::format::Plan;
use crate::reader::Wanted;

/// How a leaf's values become text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// UTF-8 text (or bytes that must be).
    Text,
    /// A boolean.
    Bool,
    /// A signed integer.
    Int,
    /// An unsigned integer stored in INT32 / INT64.
    UInt,
    /// A decimal with this scale (INT32, INT64, BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY).
    Decimal(i32),
    /// Days since 1970-01-01.
    Date,
    /// A timestamp in this many units per second.
    Timestamp(i64),
    /// An INT96 timestamp (legacy Spark / Hive / Athena).
    Int96,
    /// A float or double.
    Float,
}

impl Kind {
    pub(super) fn of(desc: &ColumnDescPtr) -> Kind {
        let physical = desc.physical_type();
        match desc.logical_type_ref() {
            Some(LogicalType::Decimal(d)) => return Kind::Decimal(d.scale),
            Some(LogicalType::Date) => return Kind::Date,
            Some(LogicalType::Timestamp(t)) => {
                return Kind::Timestamp(match t.unit {
                    TimeUnit::MILLIS => 1_000,
                    TimeUnit::MICROS => 1_000_000,
                    TimeUnit::NANOS => 1_000_000_000,
                });
            }
            Some(LogicalType::Integer(i)) if !i.is_signed => return Kind::UInt,
            _ => {}
        }
        match desc.converted_type() {
            ConvertedType::DECIMAL => return Kind::Decimal(desc.type_scale()),
            ConvertedType::DATE => return Kind::Date,
            ConvertedType::TIMESTAMP_MILLIS => return Kind::Timestamp(1_000),
            ConvertedType::TIMESTAMP_MICROS => return Kind::Timestamp(1_000_000),
            ConvertedType::UINT_8
            | ConvertedType::UINT_16
            | ConvertedType::UINT_32
            | ConvertedType::UINT_64 => return Kind::UInt,
            _ => {}
        }
        match physical {
            Physical::BOOLEAN => Kind::Bool,
            Physical::INT32 | Physical::INT64 => Kind::Int,
            Physical::INT96 => Kind::Int96,
            Physical::FLOAT | Physical::DOUBLE => Kind::Float,
            Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY => Kind::Text,
        }
    }

    /// How the type reads in `inspect`.
    pub(super) fn describe(self, physical: Physical) -> String {
        match self {
            Kind::Text => "string".into(),
            Kind::Bool => "boolean".into(),
            Kind::Int | Kind::UInt => format!("{}", physical).to_lowercase(),
            Kind::Decimal(s) => format!("decimal(scale {s})"),
            Kind::Date => "date".into(),
            Kind::Timestamp(1_000) => "timestamp(ms)".into(),
            Kind::Timestamp(1_000_000) => "timestamp(us)".into(),
            Kind::Timestamp(_) => "timestamp(ns)".into(),
            Kind::Int96 => "int96 timestamp".into(),
            Kind::Float => format!("{}", physical).to_lowercase(),
        }
    }
}

/// One column of the plan as the file stores it.
#[derive(Debug, Clone)]
pub(super) enum Slot {
    /// A primitive top-level column: one leaf.
    Flat { leaf: usize },
    /// A `MAP<key, value>` tags column: its header position, its key and value leaves, and the
    /// definition level at which an entry exists.
    Map {
        col: usize,
        key: usize,
        value: usize,
        entry_def: i16,
    },
}

/// Which leaves are read and where each header position's text comes from.
pub(super) struct Projection {
    pub(super) slots: Vec<Slot>,
    /// Header position → index into `slots` (flat columns only).
    pub(super) by_header: Vec<Option<usize>>,
    /// Leaves read, in schema order, with their [`Kind`].
    pub(super) leaves: Vec<(usize, Kind)>,
    /// For `inspect`.
    pub(super) described: Vec<String>,
}

/// The header positions a plan reads (its columns and the tag columns a wanted key names).
pub(super) fn needed_columns(plan: &Plan, wanted: &Wanted) -> Vec<usize> {
    let mut cols: Vec<usize> = [
        &plan.service,
        &plan.account_id,
        &plan.account_name,
        &plan.region,
        &plan.resource_id,
        &plan.resource_type,
        &plan.usage_type,
        &plan.engine,
        &plan.owner_team,
        &plan.environment,
        &plan.data_classification,
        &plan.provider,
        &plan.host_provider,
        &plan.billing_entity,
        &plan.arn,
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect();
    cols.extend(
        [plan.resource_count, plan.line_item_type, plan.tags_kv]
            .into_iter()
            .flatten(),
    );
    cols.extend(&plan.tags_json);
    for sources in [&wanted.team, &wanted.environment, &wanted.classification] {
        for s in sources {
            cols.extend(&s.columns);
        }
    }
    cols.sort_unstable();
    cols.dedup();
    cols
}

impl Projection {
    pub(super) fn build(
        input: &str,
        meta: &ParquetMetaData,
        plan: &Plan,
        wanted: &Wanted,
        width: usize,
    ) -> Result<Projection, ImportError> {
        let schema = meta.file_metadata().schema_descr();
        let fields = schema.root_schema().get_fields();
        let mut leaves_of: Vec<Vec<usize>> = vec![Vec::new(); fields.len()];
        for leaf in 0..schema.num_columns() {
            if let Some(v) = leaves_of.get_mut(schema.get_column_root_idx(leaf)) {
                v.push(leaf);
            }
        }
        let mut p = Projection {
            slots: Vec::new(),
            by_header: vec![None; width],
            leaves: Vec::new(),
            described: Vec::new(),
        };
        for col in needed_columns(plan, wanted) {
            let (Some(field), Some(leaves)) = (fields.get(col), leaves_of.get(col)) else {
                continue;
            };
            let name = field.name();
            let tag_column = plan.tags_json.contains(&col) || plan.tags_kv == Some(col);
            if let [leaf] = leaves[..]
                && field.is_primitive()
                && field.get_basic_info().repetition() != Repetition::REPEATED
            {
                let desc = schema.column(leaf);
                let kind = Kind::of(&desc);
                p.described
                    .push(format!("{name}: {}", kind.describe(desc.physical_type())));
                p.leaves.push((leaf, kind));
                if let Some(slot) = p.by_header.get_mut(col) {
                    *slot = Some(p.slots.len());
                }
                p.slots.push(Slot::Flat { leaf });
            } else if let Some((key, value, entry_def)) = map_leaves(field, leaves, schema)
                && tag_column
            {
                let (kd, vd) = (schema.column(key), schema.column(value));
                let (kk, vk) = (Kind::of(&kd), Kind::of(&vd));
                p.described.push(format!(
                    "{name}: map<{}, {}>",
                    kk.describe(kd.physical_type()),
                    vk.describe(vd.physical_type())
                ));
                p.leaves.push((key, kk));
                p.leaves.push((value, vk));
                p.slots.push(Slot::Map {
                    col,
                    key,
                    value,
                    entry_def,
                });
            } else {
                let what = if map_leaves(field, leaves, schema).is_some() {
                    "a map where srmatrix reads text"
                } else {
                    "a nested column (a list or a struct) where srmatrix reads text or a string map"
                };
                return Err(error(
                    input,
                    None,
                    Some(name),
                    format!("the column is {what}"),
                ));
            }
        }
        p.leaves.sort_by_key(|(leaf, _)| *leaf);
        Ok(p)
    }
}

/// The key and value leaves of a `MAP` column (a group holding one repeated group of two
/// primitive fields, whatever its annotation), and the definition level of an entry.
fn map_leaves(
    field: &SchemaType,
    leaves: &[usize],
    schema: &SchemaDescriptor,
) -> Option<(usize, usize, i16)> {
    if !field.is_group() || field.get_basic_info().repetition() == Repetition::REPEATED {
        return None;
    }
    let [entries] = field.get_fields() else {
        return None;
    };
    if !entries.is_group() || entries.get_basic_info().repetition() != Repetition::REPEATED {
        return None;
    }
    let [k, v] = entries.get_fields() else {
        return None;
    };
    if !k.is_primitive() || !v.is_primitive() {
        return None;
    }
    let &[key, value] = leaves else {
        return None;
    };
    let (kd, vd) = (schema.column(key), schema.column(value));
    if kd.max_rep_level() != 1 || vd.max_rep_level() != 1 {
        return None;
    }
    let optional =
        |t: &SchemaType| u8::from(t.get_basic_info().repetition() == Repetition::OPTIONAL);
    let entry_def = i16::from(optional(field)) + 1;
    Some((key, value, entry_def))
}

//! A content digest of any serialisable value: SHA-256 of an unambiguous encoding of its serde
//! data model in which a string that occurred before is replaced by the number of its first
//! occurrence. Documents that repeat long texts (an OSCAL component definition repeats a
//! category's control texts for every service) are hashed for the cost of their distinct texts.
//!
//! Every token starts with a tag byte and every variable-length token carries its length, so the
//! encoding is one-to-one: two values have the same digest only if their data are the same (up
//! to a SHA-256 collision). Repeated strings are found by content, so the digest does not depend
//! on how the value shares its strings in memory.

use std::collections::HashMap;
use std::fmt;

use serde::ser::{self, Serialize};
use sha2::{Digest, Sha256};

/// The SHA-256 content digest of `value` (see the module documentation).
pub(crate) fn content_digest<T: Serialize + ?Sized>(value: &T) -> Result<[u8; 32], DigestError> {
    let mut d = Digester::default();
    value.serialize(&mut d)?;
    Ok(d.finish())
}

/// A value that could not be serialised (a `Serialize` implementation failed).
#[derive(Debug)]
pub(crate) struct DigestError(String);

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DigestError {}

impl ser::Error for DigestError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DigestError(msg.to_string())
    }
}

/// Tags of the encoding.
mod tag {
    pub const STR: u8 = 0;
    pub const STR_AGAIN: u8 = 1;
    pub const BOOL: u8 = 2;
    pub const INT: u8 = 3;
    pub const UINT: u8 = 4;
    pub const FLOAT: u8 = 5;
    pub const BYTES: u8 = 6;
    pub const NONE: u8 = 7;
    pub const SOME: u8 = 8;
    pub const UNIT: u8 = 9;
    pub const UNIT_VARIANT: u8 = 10;
    pub const NEWTYPE_VARIANT: u8 = 11;
    pub const SEQ: u8 = 12;
    pub const MAP: u8 = 13;
    pub const STRUCT: u8 = 14;
    pub const END: u8 = 15;
    pub const TUPLE_VARIANT: u8 = 16;
    pub const STRUCT_VARIANT: u8 = 17;
}

#[derive(Default)]
struct Digester {
    hash: Sha256,
    /// Tokens not yet hashed: most are a few bytes, and the digest is fed in large blocks.
    pending: Vec<u8>,
    /// Every distinct string so far and the number of its first occurrence.
    seen: HashMap<Box<str>, u64, foldhash::fast::FixedState>,
}

impl Digester {
    fn token(&mut self, tag: u8, bytes: &[u8]) {
        self.pending.push(tag);
        self.bytes(bytes);
    }

    fn bytes(&mut self, bytes: &[u8]) {
        if self.pending.len() + bytes.len() > 1 << 16 {
            self.hash.update(&self.pending);
            self.pending.clear();
            if bytes.len() > 1 << 15 {
                return self.hash.update(bytes);
            }
        }
        self.pending.extend_from_slice(bytes);
    }

    fn finish(mut self) -> [u8; 32] {
        self.hash.update(&self.pending);
        self.hash.finalize().into()
    }

    fn string(&mut self, s: &str) {
        if let Some(&n) = self.seen.get(s) {
            return self.token(tag::STR_AGAIN, &n.to_le_bytes());
        }
        let n = self.seen.len() as u64;
        self.token(tag::STR, &(s.len() as u64).to_le_bytes());
        self.bytes(s.as_bytes());
        self.seen.insert(Box::from(s), n);
    }
}

impl ser::Serializer for &mut Digester {
    type Ok = ();
    type Error = DigestError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Result<(), DigestError> {
        self.token(tag::BOOL, &[u8::from(v)]);
        Ok(())
    }

    fn serialize_i64(self, v: i64) -> Result<(), DigestError> {
        self.token(tag::INT, &v.to_le_bytes());
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), DigestError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), DigestError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), DigestError> {
        self.serialize_i64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), DigestError> {
        self.token(tag::UINT, &v.to_le_bytes());
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), DigestError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), DigestError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), DigestError> {
        self.serialize_u64(v.into())
    }

    fn serialize_f64(self, v: f64) -> Result<(), DigestError> {
        self.token(tag::FLOAT, &v.to_bits().to_le_bytes());
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), DigestError> {
        self.serialize_f64(v.into())
    }

    fn serialize_char(self, v: char) -> Result<(), DigestError> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), DigestError> {
        self.string(v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), DigestError> {
        self.token(tag::BYTES, &(v.len() as u64).to_le_bytes());
        self.bytes(v);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), DigestError> {
        self.token(tag::NONE, &[]);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), DigestError> {
        self.token(tag::SOME, &[]);
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), DigestError> {
        self.token(tag::UNIT, &[]);
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), DigestError> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), DigestError> {
        self.token(tag::UNIT_VARIANT, &[]);
        self.string(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), DigestError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), DigestError> {
        self.token(tag::NEWTYPE_VARIANT, &[]);
        self.string(variant);
        value.serialize(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, DigestError> {
        self.token(tag::SEQ, &[]);
        Ok(self)
    }

    fn serialize_tuple(self, len: usize) -> Result<Self, DigestError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Self, DigestError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, DigestError> {
        self.token(tag::TUPLE_VARIANT, &[]);
        self.string(variant);
        self.serialize_seq(None)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self, DigestError> {
        self.token(tag::MAP, &[]);
        Ok(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, DigestError> {
        self.token(tag::STRUCT, &[]);
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, DigestError> {
        self.token(tag::STRUCT_VARIANT, &[]);
        self.string(variant);
        self.serialize_struct("", 0)
    }
}

/// The serializers of elements (of a sequence, tuple or tuple variant), each hashed as it
/// comes, then an end token.
macro_rules! compound {
    ($($trait:ident::$method:ident),* $(,)?) => {$(
        impl ser::$trait for &mut Digester {
            type Ok = ();
            type Error = DigestError;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), DigestError> {
                value.serialize(&mut **self)
            }

            fn end(self) -> Result<(), DigestError> {
                self.token(tag::END, &[]);
                Ok(())
            }
        }
    )*};
}

/// The serializers of named fields (of a struct or struct variant): each field's name, then its
/// value, then an end token.
macro_rules! named_fields {
    ($($trait:ident),* $(,)?) => {$(
        impl ser::$trait for &mut Digester {
            type Ok = ();
            type Error = DigestError;

            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), DigestError> {
                self.string(key);
                value.serialize(&mut **self)
            }

            fn end(self) -> Result<(), DigestError> {
                self.token(tag::END, &[]);
                Ok(())
            }
        }
    )*};
}

compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
);
named_fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for &mut Digester {
    type Ok = ();
    type Error = DigestError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), DigestError> {
        key.serialize(&mut **self)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), DigestError> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), DigestError> {
        self.token(tag::END, &[]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::rc::Rc;

    use serde_json::{Value, json};

    use super::*;

    fn d(v: &Value) -> [u8; 32] {
        content_digest(v).unwrap()
    }

    #[test]
    fn the_digest_is_one_to_one() {
        let docs = [
            json!(["ab", "c"]),
            json!(["a", "bc"]),
            json!(["abc"]),
            json!(["x", "x"]),
            json!(["x", "y"]),
            json!(["y", "x"]),
            json!(["x", "x", "y"]),
            json!(["x", "y", "x"]),
            json!(["x", "y", "y"]),
            json!([["x"], "x"]),
            json!([["x", "x"]]),
            json!([[], []]),
            json!([[[]]]),
            json!({"x": "x"}),
            json!({"x": "y"}),
            json!({"x": ["x"]}),
            json!([{"x": "x"}]),
            json!(["line\nbreak", "line\\nbreak"]),
            json!([1, "1"]),
            json!([1, 1.0]),
            json!([-1, 1]),
            json!([true, false]),
            json!([null]),
            json!([""]),
            json!([]),
            json!({}),
        ];
        let digests: HashSet<[u8; 32]> = docs.iter().map(d).collect();
        assert_eq!(digests.len(), docs.len(), "two values share a digest");
        assert_eq!(d(&docs[0]), d(&docs[0].clone()));
    }

    #[test]
    fn enum_variants_are_told_from_what_follows_them() {
        // Variants of the same name in different enums: a unit variant followed by a list,
        // a map or a number must not hash as a tuple, struct or newtype variant.
        #[derive(serde::Serialize)]
        enum Unit {
            A,
        }
        #[derive(serde::Serialize)]
        enum Tuple {
            A(u8, u8),
        }
        #[derive(serde::Serialize)]
        enum Struct {
            A { x: u8 },
        }
        #[derive(serde::Serialize)]
        enum Newtype {
            A(u8),
        }
        #[derive(serde::Serialize)]
        #[serde(untagged)]
        enum Item {
            Unit(Unit),
            Tuple(Tuple),
            Struct(Struct),
            Newtype(Newtype),
            Seq(Vec<u8>),
            Map(std::collections::BTreeMap<&'static str, u8>),
            N(u8),
        }
        let map = || std::collections::BTreeMap::from([("x", 1)]);
        let values = [
            vec![Item::Unit(Unit::A), Item::Seq(vec![1, 2])],
            vec![Item::Tuple(Tuple::A(1, 2))],
            vec![Item::Unit(Unit::A), Item::Map(map())],
            vec![Item::Struct(Struct::A { x: 1 })],
            vec![Item::Unit(Unit::A), Item::N(1)],
            vec![Item::Newtype(Newtype::A(1))],
        ];
        let digests: HashSet<[u8; 32]> =
            values.iter().map(|v| content_digest(v).unwrap()).collect();
        assert_eq!(digests.len(), values.len(), "two values share a digest");
    }

    #[test]
    fn repeated_texts_count_wherever_they_change() {
        let long = "Manage the guest OS of every instance. ".repeat(20);
        let base = json!([long, long, long]);
        let mut changed = base.clone();
        changed[1] = Value::String(format!("{long}."));
        assert_ne!(d(&base), d(&changed));
    }

    #[test]
    fn sharing_in_memory_does_not_change_the_digest() {
        #[derive(serde::Serialize)]
        struct Doc {
            texts: Vec<Rc<str>>,
            options: Vec<Option<String>>,
        }
        let text = "AWS operates the physical data centres. ".repeat(10);
        let shared: Rc<str> = Rc::from(text.as_str());
        let one = Doc {
            texts: vec![Rc::clone(&shared), Rc::clone(&shared), Rc::from("other")],
            options: vec![None, Some(text.clone())],
        };
        let separate = Doc {
            texts: vec![
                Rc::from(text.as_str()),
                Rc::from(text.as_str()),
                Rc::from("other"),
            ],
            options: vec![None, Some(text.clone())],
        };
        assert_eq!(
            content_digest(&one).unwrap(),
            content_digest(&separate).unwrap()
        );
        let different = Doc {
            texts: vec![Rc::clone(&shared), Rc::from("other"), Rc::clone(&shared)],
            options: vec![None, Some(text)],
        };
        assert_ne!(
            content_digest(&one).unwrap(),
            content_digest(&different).unwrap()
        );
    }
}

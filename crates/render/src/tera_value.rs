//! The report context as a Tera value, with every long string stored once.
//!
//! Tera's own conversion (`tera::Context::from_serialize`) gives every string of the context its
//! own allocation. A report repeats the same control text, guidance and evidence for every
//! service it applies to: 61 services × 59 controls hold about 52,000 strings longer than Tera
//! keeps inline, and only about 3,600 distinct ones. This serializer builds the same value (the
//! same shape for every serde construct as Tera's serializer, checked by
//! `tests::same_value_as_teras_own_conversion`) but hands out one shared copy of each distinct
//! long string, which Tera values share by reference counting.
//!
//! Lists and maps are shared the same way: a report repeats whole structures too (the same
//! responsibility of a control for every service of a category, the same evidence list, the same
//! framework references), and Tera keeps lists and maps behind reference counts as well. Values
//! are built bottom-up, so by the time a list or map is finished its elements are already the
//! shared copies; two containers are then equal when their elements are the same scalars, the
//! same strings or the very same shared containers, which is checked without walking the subtree
//! again. At 61 services this keeps about 5,600 of 17,000 maps and 4,300 of 25,700 lists.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use foldhash::HashMap;
use serde::ser::{self, Serialize};
use tera::value::{Key, ValueKind};
use tera::{Map, Value};

/// Strings up to this many bytes are stored inline in a Tera value: nothing to share.
const INLINE: usize = 21;

/// Converts `value` to a Tera value, sharing repeated long strings.
pub(crate) fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, ValueError> {
    let mut interner = Interner::default();
    value.serialize(&mut interner)
}

/// The Tera context of a struct or map: its fields as top-level variables, as
/// `tera::Context::from_serialize` makes it.
pub(crate) fn to_context<T: Serialize + ?Sized>(value: &T) -> Result<tera::Context, ValueError> {
    let value = to_value(value)?;
    let name = value.name();
    let map = value.into_map().ok_or_else(|| {
        ValueError(format!(
            "a template context must be a struct or map, not {name}"
        ))
    })?;
    let mut context = tera::Context::new();
    for (key, value) in map {
        let name = match key {
            Key::Str(s) => s.to_owned(),
            Key::String(s) => s.to_string(),
            Key::Bool(b) => b.to_string(),
            Key::U64(n) => n.to_string(),
            Key::I64(n) => n.to_string(),
            Key::U128(n) => n.to_string(),
            Key::I128(n) => n.to_string(),
            _ => continue,
        };
        context.insert_value(name, value);
    }
    Ok(context)
}

/// Why a value could not be converted (a map key that is no string, integer or boolean, or an
/// error raised by a `Serialize` implementation).
#[derive(Debug)]
pub(crate) struct ValueError(String);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

impl ser::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValueError(msg.to_string())
    }
}

/// The serializer: the distinct long strings seen so far, as values and as map keys, and the
/// distinct lists and maps by a hash of their elements.
#[derive(Default)]
struct Interner {
    strings: HashMap<Box<str>, Value>,
    keys: HashMap<Box<str>, Arc<str>>,
    containers: HashMap<u64, Value>,
    hasher: foldhash::fast::FixedState,
}

impl Interner {
    fn string(&mut self, s: &str) -> Value {
        if s.len() <= INLINE {
            return Value::from(s);
        }
        if let Some(v) = self.strings.get(s) {
            return v.clone();
        }
        let v = Value::from(s);
        self.strings.insert(s.into(), v.clone());
        v
    }

    /// The shared copy of a list with these items (this one, if it is the first).
    fn array(&mut self, items: Vec<Value>) -> Value {
        let mut h = self.hasher.build_hasher();
        h.write_u8(b'a');
        h.write_usize(items.len());
        for item in &items {
            hash_element(&mut h, item);
        }
        let hash = h.finish();
        if let Some(shared) = self.containers.get(&hash)
            && let Some(other) = shared.as_array()
            && other.len() == items.len()
            && other.iter().zip(&items).all(|(a, b)| same_element(a, b))
        {
            return shared.clone();
        }
        let value = Value::from(items);
        self.containers.entry(hash).or_insert_with(|| value.clone());
        value
    }

    /// The shared copy of a map with these entries in this order (a new one, if it is the
    /// first). The map is built only then: most maps of a report repeat an earlier one.
    fn map(&mut self, entries: Vec<(Key<'static>, Value)>) -> Value {
        let mut h = self.hasher.build_hasher();
        h.write_u8(b'm');
        h.write_usize(entries.len());
        for (key, value) in &entries {
            hash_key(&mut h, key);
            hash_element(&mut h, value);
        }
        let hash = h.finish();
        if let Some(shared) = self.containers.get(&hash)
            && let Some(other) = shared.as_map()
            && other.len() == entries.len()
            && other
                .iter()
                .zip(&entries)
                .all(|((ka, a), (kb, b))| same_key(ka, kb) && same_element(a, b))
        {
            return shared.clone();
        }
        let mut map = Map::with_capacity(entries.len());
        for (key, value) in entries {
            map.insert(key, value);
        }
        let value = Value::from(map);
        self.containers.entry(hash).or_insert_with(|| value.clone());
        value
    }

    fn key(&mut self, s: &str) -> Key<'static> {
        if let Some(k) = self.keys.get(s) {
            return Key::String(Arc::clone(k));
        }
        let k: Arc<str> = Arc::from(s);
        self.keys.insert(s.into(), Arc::clone(&k));
        Key::String(k)
    }
}

/// A map with one entry, as Tera represents enum variants with content.
fn variant(interner: &mut Interner, name: &'static str, value: Value) -> Value {
    interner.map(vec![(Key::Str(name), value)])
}

/// Where a shared string, list or map lives: equal addresses are the same value.
fn address<T: ?Sized>(value: &T) -> usize {
    std::ptr::from_ref(value).cast::<u8>() as usize
}

/// Hashes one element of a finished list or map without walking into it: strings up to
/// [`INLINE`] bytes by content, longer ones, lists and maps by address.
fn hash_element(h: &mut impl Hasher, value: &Value) {
    match value.kind() {
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            h.write_u8(if value.is_safe() { b'S' } else { b's' });
            h.write_usize(s.len());
            if s.len() <= INLINE {
                h.write(s.as_bytes());
            } else {
                h.write_usize(address(s));
            }
        }
        ValueKind::Array => {
            let items = value.as_array().unwrap_or_default();
            h.write_u8(b'a');
            h.write_usize(items.len());
            h.write_usize(address(items));
        }
        ValueKind::Map => {
            h.write_u8(b'm');
            h.write_usize(value.as_map().map_or(0, address));
        }
        ValueKind::Bool => h.write_u8(u8::from(value.as_bool().unwrap_or_default()) + 2),
        ValueKind::U64 => h.write_u64(value.as_u64().unwrap_or_default()),
        ValueKind::I64 => h.write_i64(value.as_i64().unwrap_or_default()),
        ValueKind::F64 => h.write_u64(value.as_f64().unwrap_or_default().to_bits()),
        ValueKind::U128 => h.write_u128(value.as_u128().unwrap_or_default()),
        ValueKind::I128 => h.write_i128(value.as_i128().unwrap_or_default()),
        ValueKind::Bytes => h.write(value.as_bytes().unwrap_or_default()),
        _ => h.write_u8(0),
    }
}

/// Whether two elements are the same value of the same kind: equal scalars and strings (of the
/// same safety), or the very same shared list or map. Numbers of different kinds, which Tera's
/// own equality takes as equal, are different here, so sharing never changes a value's kind.
fn same_element(a: &Value, b: &Value) -> bool {
    let kind = a.kind();
    if kind != b.kind() {
        return false;
    }
    match kind {
        ValueKind::None | ValueKind::Undefined => true,
        ValueKind::String => {
            a.is_safe() == b.is_safe()
                && match (a.as_str(), b.as_str()) {
                    (Some(x), Some(y)) => std::ptr::eq(x, y) || x == y,
                    _ => false,
                }
        }
        ValueKind::Array => match (a.as_array(), b.as_array()) {
            (Some(x), Some(y)) => x.len() == y.len() && address(x) == address(y),
            _ => false,
        },
        ValueKind::Map => match (a.as_map(), b.as_map()) {
            (Some(x), Some(y)) => std::ptr::eq(x, y),
            _ => false,
        },
        ValueKind::Bool => a.as_bool() == b.as_bool(),
        ValueKind::U64 => a.as_u64() == b.as_u64(),
        ValueKind::I64 => a.as_i64() == b.as_i64(),
        ValueKind::F64 => a.as_f64().map(f64::to_bits) == b.as_f64().map(f64::to_bits),
        ValueKind::U128 => a.as_u128() == b.as_u128(),
        ValueKind::I128 => a.as_i128() == b.as_i128(),
        ValueKind::Bytes => a.as_bytes() == b.as_bytes(),
        _ => false,
    }
}

/// Hashes a map key by its content.
fn hash_key(h: &mut impl Hasher, key: &Key<'static>) {
    match key {
        Key::Str(s) => {
            h.write_u8(b's');
            h.write(s.as_bytes());
        }
        Key::String(s) => {
            h.write_u8(b'S');
            h.write(s.as_bytes());
        }
        Key::Bool(b) => h.write_u8(u8::from(*b) + 2),
        Key::U64(n) => h.write_u64(*n),
        Key::I64(n) => h.write_i64(*n),
        Key::U128(n) => h.write_u128(*n),
        Key::I128(n) => h.write_i128(*n),
        _ => h.write_u8(0),
    }
}

/// Whether two map keys are the same key of the same kind.
fn same_key(a: &Key<'static>, b: &Key<'static>) -> bool {
    match (a, b) {
        (Key::Str(x), Key::Str(y)) => x == y,
        (Key::String(x), Key::String(y)) => x == y,
        (Key::Bool(x), Key::Bool(y)) => x == y,
        (Key::U64(x), Key::U64(y)) => x == y,
        (Key::I64(x), Key::I64(y)) => x == y,
        (Key::U128(x), Key::U128(y)) => x == y,
        (Key::I128(x), Key::I128(y)) => x == y,
        _ => false,
    }
}

impl<'a> ser::Serializer for &'a mut Interner {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Entries<'a>;
    type SerializeStruct = Entries<'a>;
    type SerializeStructVariant = Entries<'a>;

    fn serialize_bool(self, v: bool) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, ValueError> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, ValueError> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, ValueError> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, ValueError> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, ValueError> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, ValueError> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, ValueError> {
        Ok(Value::from(f64::from(v)))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, ValueError> {
        Ok(Value::from(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ValueError> {
        Ok(self.string(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::none())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ValueError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, ValueError> {
        Ok(Value::none())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ValueError> {
        Ok(Value::none())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ValueError> {
        Ok(self.string(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        let inner = value.serialize(&mut *self)?;
        Ok(variant(self, name, inner))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'a>, ValueError> {
        Ok(Seq {
            interner: self,
            variant: None,
            items: Vec::with_capacity(len.unwrap_or(0)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Seq<'a>, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        len: usize,
    ) -> Result<Seq<'a>, ValueError> {
        Ok(Seq {
            interner: self,
            variant: Some(name),
            items: Vec::with_capacity(len),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Entries<'a>, ValueError> {
        Ok(Entries {
            interner: self,
            variant: None,
            map: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Entries<'a>, ValueError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        len: usize,
    ) -> Result<Entries<'a>, ValueError> {
        Ok(Entries {
            interner: self,
            variant: Some(name),
            map: Vec::with_capacity(len),
            key: None,
        })
    }
}

/// A sequence, tuple or tuple variant being built.
pub(crate) struct Seq<'a> {
    interner: &'a mut Interner,
    variant: Option<&'static str>,
    items: Vec<Value>,
}

impl Seq<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.items.push(value.serialize(&mut *self.interner)?);
        Ok(())
    }

    fn finish(self) -> Value {
        let array = self.interner.array(self.items);
        match self.variant {
            Some(name) => variant(self.interner, name, array),
            None => array,
        }
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for Seq<'_> {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}

/// A map, struct or struct variant being built.
pub(crate) struct Entries<'a> {
    interner: &'a mut Interner,
    variant: Option<&'static str>,
    /// The entries in order (a later one with an equal key replaces the earlier, as in a map).
    map: Vec<(Key<'static>, Value)>,
    key: Option<Key<'static>>,
}

impl Entries<'_> {
    fn finish(self) -> Value {
        let map = self.interner.map(self.map);
        match self.variant {
            Some(name) => variant(self.interner, name, map),
            None => map,
        }
    }
}

impl ser::SerializeMap for Entries<'_> {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValueError> {
        self.key = Some(key.serialize(KeySerializer(self.interner))?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ValueError("a map value without its key".into()))?;
        let value = value.serialize(&mut *self.interner)?;
        self.map.push((key, value));
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for Entries<'_> {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        let value = value.serialize(&mut *self.interner)?;
        self.map.push((Key::Str(name), value));
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for Entries<'_> {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        ser::SerializeStruct::serialize_field(self, name, value)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}

/// Map keys: strings (shared), integers and booleans, as Tera accepts them.
struct KeySerializer<'a>(&'a mut Interner);

fn bad_key() -> ValueError {
    ValueError("map key must be string, integer, or bool".into())
}

impl ser::Serializer for KeySerializer<'_> {
    type Ok = Key<'static>;
    type Error = ValueError;
    type SerializeSeq = ser::Impossible<Key<'static>, ValueError>;
    type SerializeTuple = ser::Impossible<Key<'static>, ValueError>;
    type SerializeTupleStruct = ser::Impossible<Key<'static>, ValueError>;
    type SerializeTupleVariant = ser::Impossible<Key<'static>, ValueError>;
    type SerializeMap = ser::Impossible<Key<'static>, ValueError>;
    type SerializeStruct = ser::Impossible<Key<'static>, ValueError>;
    type SerializeStructVariant = ser::Impossible<Key<'static>, ValueError>;

    fn serialize_bool(self, v: bool) -> Result<Key<'static>, ValueError> {
        Ok(Key::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Key<'static>, ValueError> {
        Ok(Key::I64(i64::from(v)))
    }
    fn serialize_i16(self, v: i16) -> Result<Key<'static>, ValueError> {
        Ok(Key::I64(i64::from(v)))
    }
    fn serialize_i32(self, v: i32) -> Result<Key<'static>, ValueError> {
        Ok(Key::I64(i64::from(v)))
    }
    fn serialize_i64(self, v: i64) -> Result<Key<'static>, ValueError> {
        Ok(Key::I64(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Key<'static>, ValueError> {
        Ok(Key::I128(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Key<'static>, ValueError> {
        Ok(Key::U64(u64::from(v)))
    }
    fn serialize_u16(self, v: u16) -> Result<Key<'static>, ValueError> {
        Ok(Key::U64(u64::from(v)))
    }
    fn serialize_u32(self, v: u32) -> Result<Key<'static>, ValueError> {
        Ok(Key::U64(u64::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Key<'static>, ValueError> {
        Ok(Key::U64(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Key<'static>, ValueError> {
        Ok(Key::U128(v))
    }
    fn serialize_f32(self, _v: f32) -> Result<Key<'static>, ValueError> {
        Err(bad_key())
    }
    fn serialize_f64(self, _v: f64) -> Result<Key<'static>, ValueError> {
        Err(bad_key())
    }
    fn serialize_char(self, v: char) -> Result<Key<'static>, ValueError> {
        let mut buf = [0u8; 4];
        Ok(self.0.key(v.encode_utf8(&mut buf)))
    }
    fn serialize_str(self, v: &str) -> Result<Key<'static>, ValueError> {
        Ok(self.0.key(v))
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<Key<'static>, ValueError> {
        Err(bad_key())
    }
    fn serialize_none(self) -> Result<Key<'static>, ValueError> {
        Err(bad_key())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Key<'static>, ValueError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Key<'static>, ValueError> {
        Err(bad_key())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Key<'static>, ValueError> {
        Err(bad_key())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Key<'static>, ValueError> {
        Ok(Key::Str(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Key<'static>, ValueError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Key<'static>, ValueError> {
        Err(bad_key())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, ValueError> {
        Err(bad_key())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, ValueError> {
        Err(bad_key())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, ValueError> {
        Err(bad_key())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, ValueError> {
        Err(bad_key())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, ValueError> {
        Err(bad_key())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, ValueError> {
        Err(bad_key())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, ValueError> {
        Err(bad_key())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(i32, String),
        Struct { a: Option<f32>, b: char },
    }

    #[derive(Serialize)]
    struct Wrapper(String);

    #[derive(Serialize)]
    struct Marker;

    #[derive(Serialize)]
    struct Everything {
        flags: (bool, bool),
        small: i8,
        wide: i128,
        unsigned: u128,
        float: f64,
        missing: Option<String>,
        present: Option<String>,
        unit: (),
        marker: Marker,
        wrapper: Wrapper,
        shapes: Vec<Shape>,
        by_name: BTreeMap<String, Vec<String>>,
        by_number: BTreeMap<u32, bool>,
        by_flag: BTreeMap<bool, char>,
        long: Vec<String>,
    }

    fn everything() -> Everything {
        let long = "a control statement long enough to be shared between services".to_owned();
        Everything {
            flags: (true, false),
            small: -3,
            wide: -(1 << 100),
            unsigned: 1 << 100,
            float: 0.25,
            missing: None,
            present: Some("short".into()),
            unit: (),
            marker: Marker,
            wrapper: Wrapper(long.clone()),
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(7),
                Shape::Tuple(-1, long.clone()),
                Shape::Struct {
                    a: Some(1.5),
                    b: 'é',
                },
                Shape::Struct { a: None, b: 'x' },
            ],
            by_name: [
                (long.clone(), vec![long.clone(), "s".into()]),
                ("k".into(), vec![]),
            ]
            .into_iter()
            .collect(),
            by_number: [(1, true), (2, false)].into_iter().collect(),
            by_flag: [(true, 'y')].into_iter().collect(),
            long: vec![long.clone(); 5],
        }
    }

    #[test]
    fn same_value_as_teras_own_conversion() {
        let e = everything();
        let (ours, theirs) = (to_value(&e).unwrap(), Value::from_serializable(&e));
        assert_eq!(ours, theirs);
        // Equality of values ignores map order and number types; their JSON does not.
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&theirs).unwrap()
        );
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
    }

    #[test]
    fn long_strings_are_shared_and_render_the_same() {
        let e = everything();
        let mut interner = Interner::default();
        e.serialize(&mut interner).unwrap();
        assert_eq!(interner.strings.len(), 1, "one distinct long string");
        let mut tera = tera::Tera::default();
        tera.add_raw_template(
            "t",
            "{% for s in long %}{{ s }}|{% endfor %}{{ wrapper }} {{ shapes[1].Newtype }} \
             {{ by_name | length }} {{ missing is none }}",
        )
        .unwrap();
        let ours = tera.render("t", &to_context(&e).unwrap()).unwrap();
        let theirs = tera
            .render("t", &tera::Context::from_serialize(&e).unwrap())
            .unwrap();
        assert_eq!(ours, theirs);
        assert!(ours.ends_with(" 7 2 true"), "{ours}");
        assert!(to_context(&[1, 2]).is_err(), "a list has no variable names");
    }

    #[derive(Serialize)]
    struct Repeated {
        first: Vec<Everything>,
        second: Vec<Everything>,
        unsigned: Vec<u64>,
        signed: Vec<i64>,
        float: Vec<f64>,
        text: Vec<String>,
    }

    fn array_address(v: &Value) -> usize {
        address(v.as_array().unwrap())
    }

    #[test]
    fn equal_lists_and_maps_are_shared_and_different_kinds_are_not() {
        let repeated = Repeated {
            first: vec![everything(), everything()],
            second: vec![everything(), everything()],
            unsigned: vec![1],
            signed: vec![1],
            float: vec![1.0],
            text: vec!["1".into()],
        };
        let ours = to_value(&repeated).unwrap();
        let theirs = Value::from_serializable(&repeated);
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&theirs).unwrap()
        );
        let map = ours.as_map().unwrap();
        let field = |name: &'static str| map.get(&Key::Str(name)).unwrap();
        assert_eq!(
            array_address(field("first")),
            array_address(field("second"))
        );
        let first = field("first").as_array().unwrap();
        assert!(std::ptr::eq(
            first[0].as_map().unwrap(),
            first[1].as_map().unwrap()
        ));
        let kinds = ["unsigned", "signed", "float", "text"].map(|f| array_address(field(f)));
        for (i, a) in kinds.iter().enumerate() {
            for b in &kinds[i + 1..] {
                assert_ne!(a, b, "1, -1, 1.0 and \"1\" are different values");
            }
        }
        let distinct = |copies: usize| {
            let mut interner = Interner::default();
            (0..copies)
                .map(|_| everything())
                .collect::<Vec<_>>()
                .serialize(&mut interner)
                .unwrap();
            interner.containers.len()
        };
        assert_eq!(distinct(1), distinct(4), "copies add no list or map");
    }

    #[test]
    fn keys_that_are_not_strings_numbers_or_flags_are_errors() {
        let mut m: BTreeMap<Vec<u8>, u8> = BTreeMap::new();
        m.insert(vec![1], 1);
        assert!(to_value(&m).is_err());
        let f: Vec<(f64, u8)> = vec![(1.0, 1)];
        assert!(to_value(&f).is_ok(), "a tuple is no map");
    }
}

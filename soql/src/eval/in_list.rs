//! `IN (…)` lists and semi-join results as hash sets, built once per query: a record then
//! costs one lookup instead of one comparison per key, as an org's index would answer it.
//!
//! A set only answers when its answer is the one the literal-by-literal test gives: the list
//! holds one kind of literal (text, booleans, numbers, dates or datetimes, and nulls) and the
//! record's value is of the matching kind. Anything else (mixed lists, relative dates, a value
//! of another kind, which is an error or a multi-select picklist) goes literal by literal.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};

use crate::literal::{Literal, Number};
use crate::value::Value;

/// Text as SOQL's `=` sees it: compared ignoring case, so two strings are equal exactly when
/// their lower-cased characters are (the same fold as `compare::cmp_ci`).
fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// A float's bits with `-0.0` as `0.0`: equal floats that are not NaN have equal keys.
fn float_key(x: f64) -> Option<u64> {
    if x.is_nan() {
        None
    } else if x == 0.0 {
        Some(0)
    } else {
        Some(x.to_bits())
    }
}

/// The keys of an `IN` list of one kind of literal.
#[derive(Debug)]
enum Keys {
    Text(HashSet<String>),
    Boolean(HashSet<bool>),
    Date(HashSet<NaiveDate>),
    DateTime(HashSet<DateTime<Utc>>),
    /// Numbers and currency amounts. An integer field equals a literal that reads as an
    /// integer exactly, and any other literal as floats; a decimal field equals a literal
    /// as floats.
    Number {
        integers: HashSet<i64>,
        /// Literals that do not read as an `i64`, as floats.
        other_floats: HashSet<u64>,
        /// Every literal, as floats.
        floats: HashSet<u64>,
    },
}

impl Keys {
    fn empty_for(lit: &Literal) -> Option<Keys> {
        Some(match lit {
            Literal::String(_) => Keys::Text(HashSet::new()),
            Literal::Boolean(_) => Keys::Boolean(HashSet::new()),
            Literal::Date(_) => Keys::Date(HashSet::new()),
            Literal::DateTime(_) => Keys::DateTime(HashSet::new()),
            Literal::Number(_) | Literal::Currency { .. } => Keys::Number {
                integers: HashSet::new(),
                other_floats: HashSet::new(),
                floats: HashSet::new(),
            },
            Literal::Null | Literal::Relative(_) => return None,
        })
    }

    /// Adds `lit`; false when it is not of this kind.
    fn insert(&mut self, lit: &Literal) -> bool {
        match (self, lit) {
            (Keys::Text(set), Literal::String(s)) => {
                set.insert(fold(s));
            }
            (Keys::Boolean(set), Literal::Boolean(b)) => {
                set.insert(*b);
            }
            (Keys::Date(set), Literal::Date(d)) => {
                set.insert(*d);
            }
            (Keys::DateTime(set), Literal::DateTime(t)) => {
                set.insert(t.with_timezone(&Utc));
            }
            (
                Keys::Number {
                    integers,
                    other_floats,
                    floats,
                },
                Literal::Number(n) | Literal::Currency { amount: n, .. },
            ) => {
                let float = float_key(Number::as_f64(n));
                match n.as_i64() {
                    Some(i) => {
                        integers.insert(i);
                    }
                    None => other_floats.extend(float),
                }
                floats.extend(float);
            }
            _ => return false,
        }
        true
    }

    /// Whether a non-null `value` equals one of the keys; `None` when it is of another kind.
    fn contains(&self, value: &Value) -> Option<bool> {
        Some(match (self, value) {
            (Keys::Text(set), Value::String(s)) => set.contains(&fold(s)),
            (Keys::Boolean(set), Value::Boolean(b)) => set.contains(b),
            (Keys::Date(set), Value::Date(d)) => set.contains(d),
            (Keys::DateTime(set), Value::DateTime(t)) => set.contains(t),
            (
                Keys::Number {
                    integers,
                    other_floats,
                    ..
                },
                Value::Integer(i),
            ) => {
                integers.contains(i)
                    || float_key(*i as f64).is_some_and(|k| other_floats.contains(&k))
            }
            (Keys::Number { floats, .. }, Value::Double(d)) => {
                float_key(*d).is_some_and(|k| floats.contains(&k))
            }
            _ => return None,
        })
    }
}

/// An `IN (…)` literal list as a set.
#[derive(Debug)]
pub(super) struct InSet {
    has_null: bool,
    keys: Keys,
}

impl InSet {
    /// The set of `list`, or `None` when the list mixes kinds of literal or holds relative
    /// dates (or only nulls): the literal-by-literal test decides those.
    pub(super) fn new(list: &[Literal]) -> Option<InSet> {
        let mut keys: Option<Keys> = None;
        let mut has_null = false;
        for lit in list {
            if let Literal::Null = lit {
                has_null = true;
                continue;
            }
            let keys = match &mut keys {
                Some(k) => k,
                None => keys.insert(Keys::empty_for(lit)?),
            };
            if !keys.insert(lit) {
                return None;
            }
        }
        Some(InSet {
            has_null,
            keys: keys?,
        })
    }

    /// Whether `value` equals a literal of the list with SOQL's `=`: a null value only the
    /// `null` literal. `None` when the value's kind is not the list's.
    pub(super) fn contains(&self, value: &Value) -> Option<bool> {
        if value.is_null() {
            return Some(self.has_null);
        }
        self.keys.contains(value)
    }
}

/// The values a semi-join subquery selected, with its text values folded into a set: a text
/// value equals only text under `compare_values`, so the set answers for text exactly.
#[derive(Debug)]
pub(super) struct SubqueryValues {
    values: Vec<Value>,
    text: HashSet<String>,
}

impl SubqueryValues {
    pub(super) fn new(values: Vec<Value>) -> SubqueryValues {
        let text = values
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(fold(s)),
                _ => None,
            })
            .collect();
        SubqueryValues { values, text }
    }

    /// Whether a non-null `value` equals one of the values.
    pub(super) fn contains(&self, value: &Value) -> bool {
        match value {
            Value::Null => false,
            Value::String(s) => self.text.contains(&fold(s)),
            _ => self
                .values
                .iter()
                .any(|v| super::compare_values(value, v).is_eq()),
        }
    }
}

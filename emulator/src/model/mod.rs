//! The org's data model: object definitions, deterministic rows, and record changes.

pub(crate) mod data;
pub(crate) mod ids;
pub(crate) mod objects;
pub(crate) mod schema;
pub(crate) mod value;

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};

use crate::error::{Error, Result};
use schema::{FieldType, ObjectDef};
use value::Value;

/// One stored row: values in the object's field order (compound fields hold `Null`).
pub(crate) type Row = Vec<Value>;

/// The rows of one object. Generated on first use, so an org of a million Accounts costs
/// nothing until something reads Accounts.
pub(crate) struct Table {
    pub def: ObjectDef,
    base_rows: usize,
    rows: OnceLock<Vec<Option<Row>>>,
    /// (id, deletion time) of soft and hard deletes, for getDeleted.
    pub deleted_log: Vec<(String, DateTime<Utc>)>,
    /// When the delete log was last purged ([`OrgData::purge_delete_log`]): getDeleted's
    /// `earliestDateAvailable`, the log is complete only from then on.
    pub log_purged_at: Option<DateTime<Utc>>,
}

/// All objects and their rows.
pub(crate) struct OrgData {
    pub tables: Vec<Table>,
    seed: u64,
    usernames: Vec<String>,
    last_stamp: DateTime<Utc>,
}

impl OrgData {
    pub(crate) fn new(account_rows: usize, seed: u64, usernames: Vec<String>) -> Self {
        let tables = objects::all()
            .into_iter()
            .map(|def| {
                let base_rows = def.row_count(account_rows).max(if def.name == "User" {
                    usernames.len()
                } else {
                    0
                });
                Table {
                    def,
                    base_rows,
                    rows: OnceLock::new(),
                    deleted_log: Vec::new(),
                    log_purged_at: None,
                }
            })
            .collect();
        OrgData {
            tables,
            seed,
            usernames,
            last_stamp: DateTime::<Utc>::MIN_UTC,
        }
    }

    /// The table of an object, by case-insensitive name.
    pub(crate) fn table(&self, object: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.def.name.eq_ignore_ascii_case(object))
    }

    fn table_index(&self, object: &str) -> Result<usize> {
        self.tables
            .iter()
            .position(|t| t.def.name.eq_ignore_ascii_case(object))
            .ok_or_else(|| Error::UnknownObject(object.to_owned()))
    }

    /// The table whose key prefix starts `id`.
    pub(crate) fn table_for_id(&self, id: &str) -> Option<&Table> {
        let (prefix, _) = ids::parse(id)?;
        self.tables.iter().find(|t| t.def.key_prefix == prefix)
    }

    /// The rows of a table, generated on first use (`None` = hard-deleted).
    pub(crate) fn rows<'a>(&'a self, table: &'a Table) -> &'a [Option<Row>] {
        table.rows.get_or_init(|| self.generate(table))
    }

    fn generate(&self, table: &Table) -> Vec<Option<Row>> {
        let counts = |name: &str| self.table(name).map(|t| t.base_rows).unwrap_or(0);
        let prefixes = |name: &str| self.table(name).map(|t| t.def.key_prefix).unwrap_or("000");
        let ctx = data::GenContext {
            seed: self.seed,
            counts: &counts,
            prefixes: &prefixes,
            usernames: &self.usernames,
        };
        let n = table.base_rows;
        // A million-row table is made on several threads: its rows do not depend on each other.
        let threads = if n > 50_000 { 4 } else { 1 };
        let chunk = n.div_ceil(threads);
        let def = &table.def;
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let ctx = &ctx;
                    scope.spawn(move || {
                        (t * chunk..((t + 1) * chunk).min(n))
                            .map(|i| Some(data::generate(def, i, ctx)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    }

    /// The row an id names, when it exists (soft-deleted rows included).
    pub(crate) fn row_by_id(&self, id: &str) -> Option<(&Table, &Row)> {
        let table = self.table_for_id(id)?;
        let (_, index) = ids::parse(id)?;
        let row = self.rows(table).get(index)?.as_ref()?;
        Some((table, row))
    }

    /// A timestamp later than every one handed out before: SystemModstamp must move forward
    /// even when two changes fall in the same millisecond.
    fn next_stamp(&mut self) -> DateTime<Utc> {
        let now = Utc::now();
        let now = now - Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos() % 1_000_000));
        let stamp = if now > self.last_stamp {
            now
        } else {
            self.last_stamp + Duration::milliseconds(1)
        };
        self.last_stamp = stamp;
        stamp
    }

    fn rows_mut(&mut self, t: usize) -> &mut Vec<Option<Row>> {
        let table = &self.tables[t];
        let _ = self.rows(table);
        self.tables[t]
            .rows
            .get_mut()
            .expect("rows were generated just above")
    }

    fn locate(&mut self, object: &str, id: &str) -> Result<(usize, usize)> {
        let t = self.table_index(object)?;
        let bad = || Error::MalformedId {
            object: object.to_owned(),
            id: id.to_owned(),
        };
        let (prefix, index) = ids::parse(id).ok_or_else(bad)?;
        if prefix != self.tables[t].def.key_prefix {
            return Err(bad());
        }
        if self.rows_mut(t).get(index).is_none_or(Option::is_none) {
            return Err(Error::RecordNotFound {
                object: self.tables[t].def.name.to_owned(),
                id: id.to_owned(),
            });
        }
        Ok((t, index))
    }

    /// Checks names and types of `fields` against the object; returns (position, value) pairs.
    fn resolve_fields(
        &self,
        t: usize,
        fields: &[(String, Value)],
        creating: bool,
    ) -> Result<Vec<(usize, Value)>> {
        let def = &self.tables[t].def;
        fields
            .iter()
            .map(|(name, value)| {
                let i = def.field_index(name).ok_or_else(|| Error::UnknownField {
                    object: def.name.to_owned(),
                    field: name.clone(),
                })?;
                let field = &def.fields[i];
                let writable = if creating {
                    field.createable
                } else {
                    field.updateable
                };
                if !writable {
                    return Err(Error::FieldNotWritable {
                        object: def.name.to_owned(),
                        field: field.name.to_owned(),
                    });
                }
                let value = coerce(field.ty, value).ok_or_else(|| Error::BadFieldValue {
                    object: def.name.to_owned(),
                    field: field.name.to_owned(),
                    value: format!("{value:?}"),
                })?;
                Ok((i, value))
            })
            .collect()
    }

    /// Inserts a record; returns its id.
    pub(crate) fn create(
        &mut self,
        object: &str,
        fields: &[(String, Value)],
        user_id: &str,
    ) -> Result<String> {
        let t = self.table_index(object)?;
        let values = self.resolve_fields(t, fields, true)?;
        let def = &self.tables[t].def;
        if let Some(missing) = def.fields.iter().find(|f| {
            !f.nillable
                && f.createable
                && !f.defaulted_on_create
                && f.ty != FieldType::Boolean
                && f.name != "OwnerId"
                && !values.iter().any(|(i, _)| def.fields[*i].name == f.name)
        }) {
            return Err(Error::RequiredFieldMissing {
                object: def.name.to_owned(),
                field: missing.name.to_owned(),
            });
        }
        let stamp = self.next_stamp();
        let prefix = self.tables[t].def.key_prefix;
        let index = self.rows_mut(t).len();
        let id = ids::make(prefix, index);
        let def = &self.tables[t].def;
        let mut row: Row = def
            .fields
            .iter()
            .map(|f| match f.ty {
                FieldType::Boolean => Value::Bool(false),
                _ => Value::Null,
            })
            .collect();
        for (i, f) in def.fields.iter().enumerate() {
            row[i] = match f.name {
                "Id" => Value::Text(id.clone()),
                "CreatedDate" | "LastModifiedDate" | "SystemModstamp" => Value::DateTime(stamp),
                "CreatedById" | "LastModifiedById" | "OwnerId" => Value::Text(user_id.to_owned()),
                "CurrencyIsoCode" => Value::from("USD"),
                _ if f.auto_number => Value::Text(format!("{index:07}")),
                _ => continue,
            };
        }
        for (i, v) in values {
            row[i] = v;
        }
        if let Some(full) = def
            .field_index("Name")
            .filter(|_| def.field_index("FirstName").is_some())
        {
            let part = |n: &str| def.field_index(n).and_then(|i| row[i].to_text());
            let name = [part("FirstName"), part("LastName")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            row[full] = Value::from(name);
        }
        self.rows_mut(t).push(Some(row));
        Ok(id)
    }

    fn touch(&mut self, t: usize, index: usize, user_id: &str) {
        let stamp = self.next_stamp();
        let def = &self.tables[t].def;
        let slots: Vec<(usize, Value)> = [
            ("LastModifiedDate", Value::DateTime(stamp)),
            ("SystemModstamp", Value::DateTime(stamp)),
            ("LastModifiedById", Value::Text(user_id.to_owned())),
        ]
        .into_iter()
        .filter_map(|(n, v)| def.field_index(n).map(|i| (i, v)))
        .collect();
        if let Some(Some(row)) = self.rows_mut(t).get_mut(index) {
            for (i, v) in slots {
                row[i] = v;
            }
        }
    }

    fn is_deleted(&mut self, t: usize, index: usize) -> bool {
        let Some(i) = self.tables[t].def.field_index("IsDeleted") else {
            return false;
        };
        matches!(
            self.rows_mut(t).get(index),
            Some(Some(row)) if row[i] == Value::Bool(true)
        )
    }

    /// Changes fields of a live record and moves its SystemModstamp forward.
    pub(crate) fn update(
        &mut self,
        object: &str,
        id: &str,
        fields: &[(String, Value)],
        user_id: &str,
    ) -> Result<()> {
        let (t, index) = self.locate(object, id)?;
        if self.is_deleted(t, index) {
            return Err(Error::EntityIsDeleted { id: id.to_owned() });
        }
        let values = self.resolve_fields(t, fields, false)?;
        if let Some(Some(row)) = self.rows_mut(t).get_mut(index) {
            for (i, v) in values {
                row[i] = v;
            }
        }
        self.touch(t, index, user_id);
        Ok(())
    }

    /// Soft delete: the record goes to the recycle bin (IsDeleted = true, seen by queryAll).
    pub(crate) fn delete(&mut self, object: &str, id: &str, user_id: &str) -> Result<()> {
        let (t, index) = self.locate(object, id)?;
        let Some(flag) = self.tables[t].def.field_index("IsDeleted") else {
            return Err(Error::NotDeletable {
                object: self.tables[t].def.name.to_owned(),
            });
        };
        if self.is_deleted(t, index) {
            return Err(Error::EntityIsDeleted { id: id.to_owned() });
        }
        if let Some(Some(row)) = self.rows_mut(t).get_mut(index) {
            row[flag] = Value::Bool(true);
        }
        self.touch(t, index, user_id);
        let stamp = self.last_stamp;
        let canonical = ids::make(self.tables[t].def.key_prefix, index);
        self.tables[t].deleted_log.push((canonical, stamp));
        Ok(())
    }

    /// Brings a record back from the recycle bin.
    pub(crate) fn undelete(&mut self, object: &str, id: &str, user_id: &str) -> Result<()> {
        let (t, index) = self.locate(object, id)?;
        if !self.is_deleted(t, index) {
            return Err(Error::NotInRecycleBin { id: id.to_owned() });
        }
        let flag = self.tables[t].def.field_index("IsDeleted");
        if let (Some(flag), Some(Some(row))) = (flag, self.rows_mut(t).get_mut(index)) {
            row[flag] = Value::Bool(false);
        }
        let canonical = ids::make(self.tables[t].def.key_prefix, index);
        self.tables[t].deleted_log.retain(|(d, _)| *d != canonical);
        self.touch(t, index, user_id);
        Ok(())
    }

    /// Removes a record for good: no query, not even queryAll, sees it again; getDeleted
    /// does, until the delete log is purged (a record already in the recycle bin is in the
    /// log since its soft delete).
    pub(crate) fn hard_delete(&mut self, object: &str, id: &str) -> Result<()> {
        let (t, index) = self.locate(object, id)?;
        let was_live = !self.is_deleted(t, index);
        if let Some(slot) = self.rows_mut(t).get_mut(index) {
            *slot = None;
        }
        if was_live {
            let stamp = self.next_stamp();
            let canonical = ids::make(self.tables[t].def.key_prefix, index);
            self.tables[t].deleted_log.push((canonical, stamp));
        }
        Ok(())
    }

    /// Purges the delete log of every object, as Salesforce does after about 15 days (or
    /// every 2 hours when the log is large): getDeleted no longer reports the deletes so
    /// far, and its `earliestDateAvailable` moves to now.
    pub(crate) fn purge_delete_log(&mut self) {
        let now = self.next_stamp();
        for table in &mut self.tables {
            table.deleted_log.clear();
            table.log_purged_at = Some(now);
        }
    }

    /// Purges every soft-deleted record of every object (empties the recycle bin).
    pub(crate) fn empty_recycle_bin(&mut self) -> usize {
        let mut purged = 0;
        for t in 0..self.tables.len() {
            let Some(flag) = self.tables[t].def.field_index("IsDeleted") else {
                continue;
            };
            for slot in self.rows_mut(t).iter_mut() {
                if matches!(slot, Some(row) if row[flag] == Value::Bool(true)) {
                    *slot = None;
                    purged += 1;
                }
            }
        }
        purged
    }
}

/// Converts a value given for a field into the type the field stores.
pub(crate) fn coerce(ty: FieldType, value: &Value) -> Option<Value> {
    use FieldType as T;
    Some(match (ty, value) {
        (_, Value::Null) => Value::Null,
        (T::Boolean, Value::Bool(b)) => Value::Bool(*b),
        (T::Boolean, Value::Text(s)) => Value::Bool(s.parse().ok()?),
        (T::Int, Value::Int(i)) => Value::Int(*i),
        (T::Int, Value::Double(d)) if d.fract() == 0.0 => Value::Int(*d as i64),
        (T::Int, Value::Text(s)) => Value::Int(s.parse().ok()?),
        (T::Double | T::Currency | T::Percent, Value::Double(d)) => Value::Double(*d),
        (T::Double | T::Currency | T::Percent, Value::Int(i)) => Value::Double(*i as f64),
        (T::Double | T::Currency | T::Percent, Value::Text(s)) => Value::Double(s.parse().ok()?),
        (T::Date, Value::Date(d)) => Value::Date(*d),
        (T::Date, Value::Text(s)) => Value::Date(s.parse().ok()?),
        (T::DateTime, Value::DateTime(t)) => Value::DateTime(*t),
        (T::DateTime, Value::Text(s)) => Value::DateTime(parse_datetime(s)?),
        (T::Time, Value::Time(t)) => Value::Time(*t),
        (T::Time, Value::Text(s)) => Value::Time(
            chrono::NaiveTime::parse_from_str(s.trim_end_matches('Z'), "%H:%M:%S%.f").ok()?,
        ),
        (T::Address | T::Location, _) => return None,
        (t, Value::Text(s)) if t.is_text() || matches!(t, T::Id | T::Reference | T::Base64) => {
            Value::from(s.as_str())
        }
        _ => return None,
    })
}

/// Parses the datetime forms clients send: `2024-01-05T10:00:00.000+0000`, `…Z`, `…+00:00`.
pub(crate) fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

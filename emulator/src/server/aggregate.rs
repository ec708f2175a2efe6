//! Aggregate queries (`GROUP BY`, `COUNT`, `COUNT_DISTINCT`, `SUM`, `AVG`, `MIN`, `MAX`) over
//! rows already filtered by WHERE. Results are `AggregateResult` records whose keys are the
//! alias, the grouped field's name, or `expr0`, `expr1`, … for unaliased aggregates.

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::mem;

use soql::{
    EvalContext, FieldExpr, Function, FunctionArg, FunctionKind, Query, Record, SelectItem,
};

use super::engine::QueryFailure;
use crate::model::value::Value;

/// The most rows a `GROUP BY` query answers (one batch; `queryMore` is not supported).
pub(crate) const MAX_GROUPED_ROWS: usize = 2000;

/// One output row of an aggregate query: (key, value) in select order.
pub(crate) type AggregateRow = Vec<(String, Value)>;

enum Item<'q> {
    Group {
        key: String,
        expr: &'q FieldExpr,
    },
    Aggregate {
        key: String,
        function: Function,
        arg: Option<&'q FieldExpr>,
    },
}

#[derive(Default, Clone)]
struct Acc {
    count: i64,
    distinct: BTreeSet<String>,
    sum: f64,
    /// Neumaier compensation: the org sums decimals exactly, so the emulator keeps the
    /// low-order bits a plain `f64` sum would lose.
    compensation: f64,
    min: Option<soql::Value>,
    max: Option<soql::Value>,
}

/// The `GROUP BY` values of a group, as one hash key. Values group when they are the same
/// value of the same kind: text by its exact characters (case counts; the API docs say nothing
/// of case in `GROUP BY`), an integer apart from the equal decimal, decimals by their bits
/// (`-0.0` apart from `0.0`, every NaN one group).
struct GroupKey(Vec<soql::Value>);

fn float_bits(d: f64) -> u64 {
    if d.is_nan() {
        f64::NAN.to_bits()
    } else {
        d.to_bits()
    }
}

impl PartialEq for GroupKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|pair| match pair {
                (soql::Value::Double(a), soql::Value::Double(b)) => {
                    float_bits(*a) == float_bits(*b)
                }
                (a, b) => a == b,
            })
    }
}

impl Eq for GroupKey {}

impl Hash for GroupKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for value in &self.0 {
            mem::discriminant(value).hash(state);
            match value {
                soql::Value::Null => {}
                soql::Value::Boolean(b) => b.hash(state),
                soql::Value::Integer(i) => i.hash(state),
                soql::Value::Double(d) => float_bits(*d).hash(state),
                soql::Value::String(s) => s.hash(state),
                soql::Value::Date(d) => d.hash(state),
                soql::Value::DateTime(t) => t.hash(state),
                soql::Value::Time(t) => t.hash(state),
                soql::Value::MultiPicklist(items) => items.hash(state),
            }
        }
    }
}

fn to_value(v: soql::Value) -> Value {
    match v {
        soql::Value::Null => Value::Null,
        soql::Value::Boolean(b) => Value::Bool(b),
        soql::Value::Integer(i) => Value::Int(i),
        soql::Value::Double(d) => Value::Double(d),
        soql::Value::String(s) => Value::from(s),
        soql::Value::Date(d) => Value::Date(d),
        soql::Value::DateTime(t) => Value::DateTime(t),
        soql::Value::Time(t) => Value::Time(t),
        soql::Value::MultiPicklist(items) => Value::from(items.join(";")),
    }
}

fn number(v: &soql::Value) -> Option<f64> {
    match v {
        soql::Value::Integer(i) => Some(*i as f64),
        soql::Value::Double(d) => Some(*d),
        _ => None,
    }
}

fn items(query: &Query) -> Result<Vec<Item<'_>>, QueryFailure> {
    let mut unnamed = 0;
    let mut out = Vec::new();
    for item in &query.select {
        let SelectItem::Field(f) = item else {
            return Err(QueryFailure::new(
                "MALFORMED_QUERY",
                "aggregate queries select fields and aggregate functions only",
            ));
        };
        match &f.expr {
            FieldExpr::Call(c) if c.function.kind() == FunctionKind::Aggregate => {
                let key = match &f.alias {
                    Some(a) => a.name().to_owned(),
                    None => {
                        unnamed += 1;
                        format!("expr{}", unnamed - 1)
                    }
                };
                let arg = c.args.iter().find_map(|a| match a {
                    FunctionArg::Field(f) => Some(f),
                    FunctionArg::Literal(_) => None,
                });
                out.push(Item::Aggregate {
                    key,
                    function: c.function,
                    arg,
                });
            }
            expr => {
                let key = match (&f.alias, expr.path()) {
                    (Some(a), _) => a.name().to_owned(),
                    (None, Some(p)) => p.field().name().to_owned(),
                    (None, None) => {
                        unnamed += 1;
                        format!("expr{}", unnamed - 1)
                    }
                };
                out.push(Item::Group { key, expr });
            }
        }
    }
    Ok(out)
}

/// The result keys of an aggregate query's select list, in order, each with whether it is an
/// aggregate function (`expr0`, an alias, or a grouped field's name).
pub(crate) fn keys(query: &Query) -> Result<Vec<(String, bool)>, QueryFailure> {
    Ok(items(query)?
        .into_iter()
        .map(|item| match item {
            Item::Aggregate { key, .. } => (key, true),
            Item::Group { key, .. } => (key, false),
        })
        .collect())
}

/// Groups `rows` (already filtered) and computes the aggregates of `query`.
pub(crate) fn aggregate<R: Record>(
    query: &Query,
    rows: &[R],
    ctx: &EvalContext,
) -> Result<Vec<AggregateRow>, QueryFailure> {
    if query.having.is_some() {
        return Err(QueryFailure::new(
            "MALFORMED_QUERY",
            "the emulated org does not evaluate HAVING",
        ));
    }
    let items = items(query)?;
    let keys: Vec<&FieldExpr> = query
        .group_by
        .as_ref()
        .map(|g| g.keys.iter().collect())
        .unwrap_or_default();
    let mut order: Vec<(Vec<soql::Value>, usize)> = Vec::new();
    let mut index: HashMap<GroupKey, usize> = HashMap::new();
    let mut accs: Vec<Vec<Acc>> = Vec::new();
    let mut firsts: Vec<usize> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let key = GroupKey(
            keys.iter()
                .map(|k| soql::field_value(k, row, ctx))
                .collect::<Result<Vec<_>, _>>()?,
        );
        let g = match index.get(&key) {
            Some(&g) => g,
            None => {
                let g = accs.len();
                order.push((key.0.clone(), g));
                accs.push(vec![Acc::default(); items.len()]);
                firsts.push(r);
                index.insert(key, g);
                g
            }
        };
        for (i, item) in items.iter().enumerate() {
            let Item::Aggregate { function, arg, .. } = item else {
                continue;
            };
            let acc = &mut accs[g][i];
            let value = match arg {
                Some(expr) => soql::field_value(expr, row, ctx)?,
                None => soql::Value::Boolean(true),
            };
            if value.is_null() {
                continue;
            }
            acc.count += 1;
            // Each function keeps only what it answers: comparing every row's Id for a
            // COUNT(Id) minimum nobody reads cost more than the grouping.
            match function {
                Function::CountDistinct => {
                    acc.distinct.insert(format!("{value:?}").to_lowercase());
                }
                Function::Sum | Function::Avg => {
                    let x = number(&value).unwrap_or(0.0);
                    let t = acc.sum + x;
                    acc.compensation += if acc.sum.abs() >= x.abs() {
                        (acc.sum - t) + x
                    } else {
                        (x - t) + acc.sum
                    };
                    acc.sum = t;
                }
                Function::Min
                    if acc
                        .min
                        .as_ref()
                        .is_none_or(|m| soql::compare_values(&value, m).is_lt()) =>
                {
                    acc.min = Some(value);
                }
                Function::Max
                    if acc
                        .max
                        .as_ref()
                        .is_none_or(|m| soql::compare_values(&value, m).is_gt()) =>
                {
                    acc.max = Some(value);
                }
                _ => {}
            }
        }
    }
    if keys.is_empty() && order.is_empty() {
        // An aggregate without GROUP BY answers one row even over no rows.
        order.push((Vec::new(), 0));
        accs.push(vec![Acc::default(); items.len()]);
    }
    order.sort_by(|(a, _), (b, _)| {
        a.iter()
            .zip(b)
            .map(|(x, y)| soql::compare_values(x, y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut out = Vec::with_capacity(order.len());
    for (_, g) in order {
        let mut record = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let acc = &accs[g][i];
            let value = match item {
                Item::Group { key, expr } => {
                    let v = match firsts.get(g) {
                        Some(&r) => soql::field_value(expr, &rows[r], ctx)?,
                        None => soql::Value::Null,
                    };
                    (key.clone(), to_value(v))
                }
                Item::Aggregate { key, function, .. } => {
                    let v = match function {
                        Function::Count => Value::Int(acc.count),
                        Function::CountDistinct => Value::Int(acc.distinct.len() as i64),
                        Function::Sum if acc.count > 0 => Value::Double(acc.sum + acc.compensation),
                        Function::Avg if acc.count > 0 => {
                            Value::Double((acc.sum + acc.compensation) / acc.count as f64)
                        }
                        Function::Min => acc.min.clone().map(to_value).unwrap_or(Value::Null),
                        Function::Max => acc.max.clone().map(to_value).unwrap_or(Value::Null),
                        _ => Value::Null,
                    };
                    (key.clone(), v)
                }
            };
            record.push(value);
        }
        out.push(record);
    }
    let offset = query.offset.unwrap_or(0) as usize;
    let limit = query.limit.map_or(usize::MAX, |l| l as usize);
    let out: Vec<AggregateRow> = out.into_iter().skip(offset).take(limit).collect();
    // A GROUP BY query cannot continue with queryMore, and one batch holds at most 2,000
    // rows: a real org refuses more groups than that unless LIMIT cuts them.
    if query.group_by.is_some() && out.len() > MAX_GROUPED_ROWS {
        return Err(QueryFailure::new(
            "MALFORMED_QUERY",
            "Aggregate query does not support queryMore(), use LIMIT to restrict the results to a single batch",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::hash_map::DefaultHasher;

    use chrono::NaiveDate;

    use super::*;

    fn hash(key: &GroupKey) -> u64 {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        h.finish()
    }

    /// Two rows share a group exactly when the text fingerprint of their values (what the
    /// emulator grouped on before) is the same.
    #[test]
    fn group_keys_are_equal_when_the_value_fingerprints_are() {
        use soql::Value as V;
        let values = [
            V::Null,
            V::Boolean(true),
            V::Boolean(false),
            V::Integer(1),
            V::Integer(0),
            V::Double(1.0),
            V::Double(0.0),
            V::Double(-0.0),
            V::Double(f64::NAN),
            V::Double(-f64::NAN),
            V::String("Acme".into()),
            V::String("acme".into()),
            V::String("1".into()),
            V::Date(NaiveDate::from_ymd_opt(2024, 1, 31).unwrap_or_default()),
            V::MultiPicklist(vec!["a".into(), "b".into()]),
            V::MultiPicklist(vec!["b".into(), "a".into()]),
        ];
        for a in &values {
            for b in &values {
                let (ka, kb) = (
                    GroupKey(vec![a.clone(), V::Integer(7)]),
                    GroupKey(vec![b.clone(), V::Integer(7)]),
                );
                let same = format!("{:?}", ka.0) == format!("{:?}", kb.0);
                assert_eq!(ka == kb, same, "{a:?} and {b:?}");
                if same {
                    assert_eq!(hash(&ka), hash(&kb), "{a:?} and {b:?}");
                }
            }
        }
    }
}

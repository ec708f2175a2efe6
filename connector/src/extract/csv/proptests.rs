//! Equivalence with Arrow's CSV reader (the decoder this one replaced) on generated
//! Salesforce-like pages: every column type, quoted and bare cells, embedded delimiters,
//! quotes and line breaks, both null spellings, CRLF pages, NUL bytes, random chunkings
//! and batch sizes.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Time32MillisecondArray};
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use proptest::prelude::*;

use super::{BulkCsvDecoder, CsvFormat, parse_time_millis};

#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Bool,
    Int,
    Long,
    Double,
    Currency,
    Date,
    DateTime,
    Time,
}

impl Kind {
    fn data_type(self) -> DataType {
        match self {
            Kind::Text => DataType::Utf8,
            Kind::Bool => DataType::Boolean,
            Kind::Int => DataType::Int32,
            Kind::Long => DataType::Int64,
            Kind::Double => DataType::Float64,
            Kind::Currency => DataType::Decimal128(18, 2),
            Kind::Date => DataType::Date32,
            Kind::DateTime => {
                DataType::Timestamp(TimeUnit::Millisecond, Some(crate::schema::UTC.into()))
            }
            Kind::Time => DataType::Time32(TimeUnit::Millisecond),
        }
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Text),
        Just(Kind::Bool),
        Just(Kind::Int),
        Just(Kind::Long),
        Just(Kind::Double),
        Just(Kind::Currency),
        Just(Kind::Date),
        Just(Kind::DateTime),
        Just(Kind::Time),
    ]
}

fn date() -> impl Strategy<Value = String> {
    (1700i32..2200, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn clock() -> impl Strategy<Value = String> {
    (0u32..24, 0u32..60, 0u32..60, 0u32..1000)
        .prop_map(|(h, m, s, ms)| format!("{h:02}:{m:02}:{s:02}.{ms:03}"))
}

/// A cell's text as Salesforce (or the REST/SOAP → CSV path) writes it.
fn value(kind: Kind) -> BoxedStrategy<String> {
    match kind {
        Kind::Text => "[a-zA-Z0-9 ,;\"\r\n\té€]{0,12}".boxed(),
        Kind::Bool => prop_oneof![Just("true"), Just("false"), Just("TRUE"), Just("False")]
            .prop_map(str::to_string)
            .boxed(),
        Kind::Int => any::<i32>().prop_map(|v| v.to_string()).boxed(),
        Kind::Long => any::<i64>().prop_map(|v| v.to_string()).boxed(),
        Kind::Double => prop_oneof![
            (-1e12f64..1e12).prop_map(|v| format!("{v}")),
            (-1e12f64..1e12).prop_map(|v| format!("{v:E}")),
            any::<i32>().prop_map(|v| v.to_string()),
        ]
        .boxed(),
        Kind::Currency => prop_oneof![
            (-10i64.pow(15)..10i64.pow(15), 0u32..3).prop_map(|(m, f)| match f {
                0 => format!("{}", m / 100),
                1 => format!("{}.{}", m / 100, (m % 100).abs() / 10),
                _ => format!("{}.{:02}", m / 100, (m % 100).abs()),
            }),
            (-99_999_999i64..99_999_999, 0u32..8).prop_map(|(m, e)| format!("{m}.0E{e}")),
            (0u32..1_000_000, 0u32..10_000).prop_map(|(i, f)| format!("{i}.{f:04}")),
        ]
        .boxed(),
        Kind::Date => date().boxed(),
        Kind::DateTime => prop_oneof![
            4 => (date(), clock()).prop_map(|(d, t)| format!("{d}T{t}Z")),
            1 => (date(), clock()).prop_map(|(d, t)| format!("{d}T{t}+00:00")),
            1 => (date(), clock(), 0u32..12).prop_map(|(d, t, h)| format!("{d}T{t}-{h:02}:00")),
        ]
        .boxed(),
        Kind::Time => clock().prop_map(|t| format!("{t}Z")).boxed(),
    }
}

/// How one cell is written: a value (quoted or bare) or null (empty or `""`).
fn cell(kind: Kind) -> impl Strategy<Value = String> {
    prop_oneof![
        1 => prop_oneof![Just(String::new()), Just("\"\"".to_string())],
        4 => (value(kind), any::<bool>()).prop_map(|(v, quote)| {
            if quote || v.is_empty() || v.contains([',', '"', '\r', '\n']) {
                format!("\"{}\"", v.replace('"', "\"\""))
            } else {
                v
            }
        }),
    ]
}

#[derive(Debug)]
struct Page {
    schema: SchemaRef,
    text: Vec<u8>,
}

fn page() -> impl Strategy<Value = Page> {
    (prop::collection::vec(kind(), 2..8), any::<bool>()).prop_flat_map(|(kinds, crlf)| {
        let row = kinds.iter().map(|k| cell(*k)).collect::<Vec<_>>();
        prop::collection::vec(row, 0..40).prop_map(move |rows| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let fields: Vec<Field> = kinds
                .iter()
                .enumerate()
                .map(|(i, k)| Field::new(format!("C{i}__c"), k.data_type(), true))
                .collect();
            let mut text = fields
                .iter()
                .map(|f| format!("\"{}\"", f.name()))
                .collect::<Vec<_>>()
                .join(",");
            text.push_str(eol);
            for r in rows {
                text.push_str(&r.join(","));
                text.push_str(eol);
            }
            Page {
                schema: Arc::new(Schema::new(fields)),
                text: text.into_bytes(),
            }
        })
    })
}

/// What Arrow's CSV reader makes of the page (`time` read as text, then converted, as the
/// old decoder did).
fn oracle(page: &Page) -> RecordBatch {
    let wire = Schema::new(
        page.schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Time32(_) => Field::new(f.name(), DataType::Utf8, true),
                _ => f.as_ref().clone(),
            })
            .collect::<Vec<_>>(),
    );
    let reader = arrow_csv::ReaderBuilder::new(Arc::new(wire))
        .with_header(true)
        .with_batch_size(64)
        .build(std::io::Cursor::new(page.text.clone()))
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    let columns: Vec<ArrayRef> = (0..page.schema.fields().len())
        .map(|i| {
            let parts: Vec<ArrayRef> = batches.iter().map(|b| Arc::clone(b.column(i))).collect();
            let parts: Vec<&dyn datafusion::arrow::array::Array> =
                parts.iter().map(|a| a.as_ref()).collect();
            let col = if parts.is_empty() {
                datafusion::arrow::array::new_empty_array(page.schema.field(i).data_type())
            } else {
                datafusion::arrow::compute::concat(&parts).unwrap()
            };
            match page.schema.field(i).data_type() {
                DataType::Time32(_) if parts.is_empty() => {
                    Arc::new(Time32MillisecondArray::from(Vec::<i32>::new())) as ArrayRef
                }
                DataType::Time32(_) => Arc::new(
                    col.as_string::<i32>()
                        .iter()
                        .map(|v| v.map(|s| parse_time_millis(s).unwrap()))
                        .collect::<Time32MillisecondArray>(),
                ),
                _ => col,
            }
        })
        .collect();
    RecordBatch::try_new(Arc::clone(&page.schema), columns).unwrap()
}

fn decode(page: &Page, text: &[u8], cuts: &[usize], batch_size: usize) -> Vec<RecordBatch> {
    let mut d = BulkCsvDecoder::new(
        "prop",
        Arc::clone(&page.schema),
        CsvFormat::default(),
        batch_size,
        0,
    );
    let mut out = Vec::new();
    let mut from = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (text.len() + 1)).collect();
    cuts.sort_unstable();
    for c in cuts.into_iter().chain([text.len()]) {
        out.extend(d.push(&text[from..c]).unwrap());
        from = c;
    }
    out.extend(d.finish().unwrap());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn same_batches_as_arrow_csv(
        page in page(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
        nuls in prop::collection::vec(any::<usize>(), 0..4),
        batch_size in 1usize..7,
    ) {
        let expected = oracle(&page);
        let mut text = page.text.clone();
        for n in nuls {
            text.insert(n % (text.len() + 1), 0);
        }
        let batches = decode(&page, &text, &cuts, batch_size);
        let total: usize = batches.iter().map(|b| b.num_rows()).sum();
        prop_assert_eq!(total, expected.num_rows());
        for (i, b) in batches.iter().enumerate() {
            prop_assert_eq!(b.schema(), Arc::clone(&page.schema));
            if i + 1 < batches.len() {
                prop_assert_eq!(b.num_rows(), batch_size);
            }
        }
        let got = concat_batches(&page.schema, &batches).unwrap();
        prop_assert_eq!(got, expected);
    }
}

//! Parse and print throughput for typical queries, and WHERE evaluation per record.

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use soql::{EvalContext, Value, matches, parse, parse_where};

const QUERIES: &[&str] = &[
    "SELECT Id, Name FROM Account",
    "SELECT Id, Name, Owner.Name, Industry, AnnualRevenue FROM Account WHERE Industry = 'Technology' AND AnnualRevenue > 1000000 ORDER BY Name LIMIT 200",
    "SELECT Id, Name, SystemModstamp FROM Contact WHERE SystemModstamp >= 2024-01-01T00:00:00.000Z AND SystemModstamp < 2024-01-31T00:00:00.000Z",
    "SELECT Id, (SELECT Id, LastName FROM Contacts WHERE Email != null) FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity WHERE IsClosed = false) AND CreatedDate = LAST_N_DAYS:30",
    "SELECT StageName, CALENDAR_YEAR(CloseDate) yr, SUM(Amount) total FROM Opportunity WHERE (StageName = 'Closed Won' OR StageName = 'Negotiation') AND Name LIKE 'Acme%' GROUP BY StageName, CALENDAR_YEAR(CloseDate) HAVING SUM(Amount) > 10000",
];

fn parse_and_print(c: &mut Criterion) {
    let bytes: usize = QUERIES.iter().map(|q| q.len()).sum();
    let parsed: Vec<soql::Query> = QUERIES.iter().filter_map(|q| parse(q).ok()).collect();
    assert_eq!(parsed.len(), QUERIES.len());

    let mut group = c.benchmark_group("soql");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse 5 typical queries", |b| {
        b.iter(|| {
            for q in QUERIES {
                let _ = black_box(parse(black_box(q)));
            }
        })
    });
    group.bench_function("print 5 typical queries", |b| {
        b.iter(|| {
            for q in &parsed {
                black_box(q.to_string());
            }
        })
    });
    group.finish();

    let filter = parse_where(
        "Name LIKE 'acme%' AND (NumberOfEmployees > 100 OR CreatedDate = LAST_N_DAYS:30) AND Industry != null",
    );
    let Ok(filter) = filter else {
        return;
    };
    let record: Vec<(&str, Value)> = vec![
        ("Name", Value::String("Acme Corporation".into())),
        ("NumberOfEmployees", Value::Integer(50)),
        (
            "CreatedDate",
            Value::DateTime(
                Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0)
                    .single()
                    .unwrap_or_default(),
            ),
        ),
        ("Industry", Value::String("Technology".into())),
    ];
    let ctx = EvalContext::new(
        Utc.with_ymd_and_hms(2024, 5, 15, 0, 0, 0)
            .single()
            .unwrap_or_default(),
    );
    let mut group = c.benchmark_group("soql eval");
    group.throughput(Throughput::Elements(1));
    group.bench_function("WHERE on one record", |b| {
        b.iter(|| black_box(matches(&filter, record.as_slice(), &ctx)))
    });
    group.finish();
}

criterion_group!(benches, parse_and_print);
criterion_main!(benches);

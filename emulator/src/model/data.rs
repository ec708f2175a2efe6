//! Deterministic data: row `i` of an object depends only on the seed, the object and `i`,
//! so any row can be made without making the others, and the same seed gives the same org.

use base64::Engine as _;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

use super::ids;
use super::schema::{FieldDef, FieldType, Gen, ObjectDef};
use super::value::Value;

/// What generating a row needs to know about the rest of the org.
pub(crate) struct GenContext<'a> {
    pub seed: u64,
    /// Rows per object name (references pick among these).
    pub counts: &'a (dyn Fn(&str) -> usize + Sync),
    /// Key prefix per object name.
    pub prefixes: &'a (dyn Fn(&str) -> &'static str + Sync),
    /// Usernames that must be used for the first User rows (the run-as users).
    pub usernames: &'a [String],
}

/// SplitMix64: small, fast and good enough for test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, object: &str, index: usize) -> Self {
        let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
        for b in object.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
        }
        let mut rng = Rng(h ^ (index as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn percent(&mut self, pct: u8) -> bool {
        self.below(100) < usize::from(pct)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const COMPANY_HEADS: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Müller & Söhne",
    "Ōkami",
    "Société Générale d'Énergie",
    "Nordlicht",
    "Sunbeam",
    "Blue \"Sky\" Power",
    "Fjord",
    "Kraków Wind",
    "São Paulo Solar",
];
const COMPANY_TAILS: &[&str] = &[
    "Inc.",
    ", Inc.",
    "LLC",
    "GmbH",
    "Ltd",
    "S.A.",
    "Corp",
    "AG",
    "K.K.",
    "Holdings, Ltd.",
];
const FIRST: &[&str] = &[
    "Mary",
    "José",
    "Zoë",
    "Åsa",
    "Łukasz",
    "Chloé",
    "Renée",
    "Søren",
    "Yuki",
    "Aiyana",
    "Mary-Jane",
    "Ahmed",
    "Priya",
    "Olu",
    "Li",
    "John",
    "Grace",
    "Jürgen",
    "Siobhán",
    "Mateo",
];
const LAST: &[&str] = &[
    "Smith",
    "O'Brien",
    "Müller",
    "García",
    "Nguyen",
    "Kowalski",
    "Dubois",
    "Tanaka",
    "Ivanova",
    "D'Angelo",
    "Johnson",
    "Okafor",
    "Patel",
    "Chen",
    "Andersson",
    "Lefèvre",
    "Brown",
    "Kim",
    "Rossi",
    "Hernández",
];
const TITLES: &[&str] = &[
    "CEO",
    "VP, Sales",
    "Director of \"Special\" Projects",
    "Ingénieur",
    "Buyer",
    "Head of Procurement",
    "CFO",
    "Operations Manager",
    "Field Engineer",
    "Account Manager",
    "Renewal, 2025 — 500 units",
    "Site survey; roof access needed",
];
const PROSE: &[&str] = &[
    "Long-standing customer, renews every spring.",
    "Prefers \"paper\" invoices; call before 10am.",
    "Line one\r\nLine two",
    "Zürich office — contact Ms. Müller.",
    "日本支社と連携しています。",
    "Uses 3 sites: Berlin, Paris, Oslo.",
    "Asked for a quote, then went quiet.",
    "Tab\tseparated\tnotes",
    "Said: \"we'll see\", then signed.",
    "Émile handles the 50% deposit.",
];
const STREETS: &[&str] = &[
    "Main St",
    "Market Street",
    "Bahnhofstraße",
    "Rue de Rivoli",
    "Calle Mayor",
    "Elm Ave",
    "1st Ave",
    "Via Roma",
];
/// (city, state, postal code, country, latitude, longitude)
const PLACES: &[(&str, &str, &str, &str, f64, f64)] = &[
    ("San Francisco", "CA", "94105", "USA", 37.7897, -122.3972),
    ("New York", "NY", "10001", "USA", 40.7506, -73.9972),
    ("Austin", "TX", "78701", "USA", 30.2711, -97.7437),
    ("Berlin", "Berlin", "10115", "Germany", 52.5323, 13.3846),
    ("München", "Bayern", "80331", "Germany", 48.1374, 11.5755),
    ("Paris", "Île-de-France", "75001", "France", 48.8606, 2.3376),
    (
        "London",
        "England",
        "EC1A 1BB",
        "United Kingdom",
        51.5202,
        -0.0979,
    ),
    ("Tokyo", "東京都", "100-0005", "Japan", 35.6812, 139.7671),
    ("São Paulo", "SP", "01310-100", "Brazil", -23.5613, -46.6565),
    ("Sydney", "NSW", "2000", "Australia", -33.8688, 151.2093),
];

/// Base timestamps end here, before any "now" the emulator runs at, so records changed at
/// run time always move SystemModstamp forward.
fn data_end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 31, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn data_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn ascii_slug(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c {
                'é' | 'è' | 'É' => 'e',
                'ü' | 'Ü' => 'u',
                'ö' | 'Ö' | 'ø' | 'Ø' | 'Ō' | 'ō' => 'o',
                'å' | 'Å' | 'ä' | 'ã' => 'a',
                'Ł' | 'ł' => 'l',
                'á' => 'a',
                'í' => 'i',
                c => c,
            };
            c.is_ascii_alphanumeric().then(|| c.to_ascii_lowercase())
        })
        .collect()
}

/// Makes row `index` of `def`, in field order.
pub(crate) fn generate(def: &ObjectDef, index: usize, ctx: &GenContext<'_>) -> Vec<Value> {
    let mut rng = Rng::new(ctx.seed, def.name, index);
    let span = (data_end() - data_start()).num_seconds().max(1) as usize;
    let created = data_start() + Duration::seconds(rng.below(span * 9 / 10) as i64);
    let left = (data_end() - created).num_seconds().max(1) as usize;
    let modified = created + Duration::seconds(rng.below(left) as i64);
    let modstamp = modified + Duration::seconds(rng.below(3600) as i64);
    let modstamp = modstamp.min(data_end());
    let deleted = rng.percent(1);
    let user_rows = (ctx.counts)("User").clamp(1, 25);
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);

    let mut out = Vec::with_capacity(def.fields.len());
    for field in &def.fields {
        let v = value(
            def, field, index, ctx, &mut rng, created, modified, modstamp, deleted, user_rows,
            first, last,
        );
        out.push(v);
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn value(
    def: &ObjectDef,
    field: &FieldDef,
    index: usize,
    ctx: &GenContext<'_>,
    rng: &mut Rng,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
    modstamp: DateTime<Utc>,
    deleted: bool,
    user_rows: usize,
    first: &str,
    last: &str,
) -> Value {
    let place = |rng_seed: u64, compound: Option<&str>| {
        let mut r = Rng::new(rng_seed, compound.unwrap_or(""), index);
        let _ = r.next();
        let present = !r.percent(10);
        (
            present,
            PLACES[r.below(PLACES.len())],
            r.below(9000) + 1,
            r.unit(),
        )
    };
    match field.fill {
        Gen::Id => Value::Text(ids::make(def.key_prefix, index)),
        Gen::IsDeleted => Value::Bool(deleted),
        Gen::Created => Value::DateTime(created),
        Gen::LastModified => Value::DateTime(modified),
        Gen::SystemModstamp => Value::DateTime(modstamp),
        Gen::User => Value::Text(ids::make("005", rng.below(user_rows))),
        Gen::Ref(object, null_pct) => {
            if rng.percent(null_pct) {
                return Value::Null;
            }
            let count = if object == def.name {
                index
            } else {
                (ctx.counts)(object)
            };
            if count == 0 {
                return Value::Null;
            }
            Value::Text(ids::make((ctx.prefixes)(object), rng.below(count)))
        }
        Gen::Company => {
            let head = rng.pick(COMPANY_HEADS);
            let tail = rng.pick(COMPANY_TAILS);
            let sep = if tail.starts_with(',') { "" } else { " " };
            Value::Text(format!("{head} {}{sep}{tail}", index % 997))
        }
        Gen::FirstName => {
            if def.name == "User" || !rng.percent(3) {
                Value::from(first)
            } else {
                Value::Null
            }
        }
        Gen::LastName => Value::from(last),
        Gen::FullName => {
            let first_value = def.field_index("FirstName").map(|_| first).unwrap_or(first);
            Value::Text(format!("{first_value} {last}"))
        }
        Gen::Title(null_pct) => null_or(rng, null_pct, |rng| rng.pick(TITLES).into()),
        Gen::Prose(null_pct) => null_or(rng, null_pct, |rng| {
            let n = 1 + rng.below(3);
            let parts: Vec<&str> = (0..n).map(|_| rng.pick(PROSE)).collect();
            parts.join(if rng.percent(50) { " " } else { "\n" }).into()
        }),
        Gen::OneOf(pool, null_pct) => null_or(rng, null_pct, |rng| rng.pick(pool).into()),
        Gen::Street => {
            let (present, _, number, _) = place(ctx.seed, field.compound);
            if !present {
                return Value::Null;
            }
            let street = STREETS[number % STREETS.len()];
            if number % 7 == 0 {
                Value::Text(format!("{number} {street}\nSuite {}", number % 400))
            } else {
                Value::Text(format!("{number} {street}"))
            }
        }
        Gen::City | Gen::State | Gen::PostalCode | Gen::Country => {
            let (present, p, _, _) = place(ctx.seed, field.compound);
            if !present {
                return Value::Null;
            }
            Value::from(match field.fill {
                Gen::City => p.0,
                Gen::State => p.1,
                Gen::PostalCode => p.2,
                _ => p.3,
            })
        }
        Gen::Latitude | Gen::Longitude | Gen::GeocodeAccuracy => {
            let (present, p, _, jitter) = place(ctx.seed, field.compound);
            if !present || (field.ty != FieldType::Picklist && jitter < 0.2) {
                return Value::Null;
            }
            match field.fill {
                Gen::Latitude => Value::Double(round(p.4 + (jitter - 0.5) / 50.0, 6)),
                Gen::Longitude => Value::Double(round(p.5 + (jitter - 0.5) / 50.0, 6)),
                _ => Value::from(if jitter < 0.2 { "City" } else { "Address" }),
            }
        }
        Gen::Phone(null_pct) => null_or(rng, null_pct, |rng| {
            if rng.percent(70) {
                Value::Text(format!(
                    "({}) 555-{:04}",
                    200 + rng.below(700),
                    rng.below(10_000)
                ))
            } else {
                Value::Text(format!("+49 30 {:07}", rng.below(10_000_000)))
            }
        }),
        Gen::Email(null_pct) => {
            if field.name == "Username" {
                if let Some(name) = ctx.usernames.get(index) {
                    return Value::Text(name.clone());
                }
                return Value::Text(format!("user{index}@acme-solar.example"));
            }
            null_or(rng, null_pct, |_| {
                Value::Text(format!(
                    "{}.{}{index}@example.com",
                    ascii_slug(first),
                    ascii_slug(last)
                ))
            })
        }
        Gen::Url(null_pct) => null_or(rng, null_pct, |rng| {
            Value::Text(format!(
                "https://www.{}.example.com",
                ascii_slug(rng.pick(COMPANY_HEADS))
            ))
        }),
        Gen::Pick(null_pct) => null_or(rng, null_pct, |rng| rng.pick(field.picklist).into()),
        Gen::MultiPick(null_pct) => null_or(rng, null_pct, |rng| {
            let chosen: Vec<&str> = field
                .picklist
                .iter()
                .copied()
                .filter(|_| rng.percent(40))
                .collect();
            if chosen.is_empty() {
                Value::from(field.picklist[0])
            } else {
                Value::Text(chosen.join(";"))
            }
        }),
        Gen::Bool(pct) => Value::Bool(rng.percent(pct)),
        Gen::Int(min, max, null_pct) => null_or(rng, null_pct, |rng| {
            let n = min + rng.below((max - min + 1).max(1) as usize) as i64;
            match field.ty {
                FieldType::Int => Value::Int(n),
                FieldType::Double | FieldType::Currency | FieldType::Percent => {
                    Value::Double(n as f64)
                }
                _ => Value::Text(n.to_string()),
            }
        }),
        Gen::Number(min, max, null_pct) => null_or(rng, null_pct, |rng| {
            // Skewed towards small values, as real amounts are.
            let u = rng.unit();
            Value::Double(round(min + (max - min) * u * u * u, field.scale))
        }),
        Gen::Date(null_pct) => null_or(rng, null_pct, |rng| {
            let base = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap_or_default();
            Value::Date(base + Duration::days(rng.below(365 * 13) as i64))
        }),
        Gen::Time(null_pct) => null_or(rng, null_pct, |rng| {
            let secs = (rng.below(24 * 4) * 15 * 60) as u32;
            NaiveTime::from_num_seconds_from_midnight_opt(secs, 0)
                .map(Value::Time)
                .unwrap_or(Value::Null)
        }),
        Gen::Base64(null_pct) => null_or(rng, null_pct, |_| {
            let doc = format!("%PDF-1.4\n% invoice {index}\n");
            Value::Text(base64::engine::general_purpose::STANDARD.encode(doc))
        }),
        Gen::CurrencyIsoCode => {
            if rng.percent(70) {
                Value::from("USD")
            } else {
                Value::from(rng.pick(field.picklist))
            }
        }
        Gen::AutoNumber(prefix) => Value::Text(format!("{prefix}{:07}", index + 1)),
        Gen::Compound | Gen::Null => Value::Null,
    }
}

fn null_or(rng: &mut Rng, null_pct: u8, make: impl FnOnce(&mut Rng) -> Value) -> Value {
    if rng.percent(null_pct) {
        Value::Null
    } else {
        make(rng)
    }
}

fn round(x: f64, scale: u32) -> f64 {
    let factor = 10f64.powi(scale as i32);
    (x * factor).round() / factor
}

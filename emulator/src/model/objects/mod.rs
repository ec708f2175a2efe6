//! The org's objects: Account, Contact, Opportunity, Lead, Case, User and the custom `Invoice__c`.
//!
//! Field lists follow real describes (see the fixtures' describe folder) trimmed to a few dozen
//! fields each, with custom fields added so that every field type the connector maps occurs.

mod sales;
mod service;

use super::schema::{FieldDef, FieldType as T, Gen as G, ObjectDef};

pub(super) const CURRENCIES: &[&str] = &["USD", "EUR", "GBP", "JPY", "CHF"];
pub(super) const ACCOUNT_TYPES: &[&str] = &[
    "Prospect",
    "Customer - Direct",
    "Customer - Channel",
    "Channel Partner / Reseller",
    "Installation Partner",
    "Technology Partner",
    "Other",
];
pub(super) const INDUSTRIES: &[&str] = &[
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Finance",
    "Healthcare",
    "Insurance",
    "Manufacturing",
    "Media",
    "Retail",
    "Technology",
    "Transportation",
    "Utilities",
];
pub(super) const RATINGS: &[&str] = &["Hot", "Warm", "Cold"];
pub(super) const OWNERSHIP: &[&str] = &["Public", "Private", "Subsidiary", "Other"];
pub(super) const SOURCES: &[&str] = &[
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Other",
];
pub(super) const GEOCODE: &[&str] = &[
    "Address",
    "NearAddress",
    "Block",
    "Street",
    "ExtendedZip",
    "Zip",
    "City",
];
pub(super) const YES_NO: &[&str] = &["Yes", "No"];
pub(super) const PRIORITY: &[&str] = &["High", "Medium", "Low"];
pub(super) const REGIONS: &[&str] = &["AMER", "EMEA", "APAC", "LATAM"];
pub(super) const SALUTATIONS: &[&str] = &["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."];
pub(super) const STAGES: &[&str] = &[
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
];
pub(super) const FORECAST: &[&str] = &["Omitted", "Pipeline", "BestCase", "Forecast", "Closed"];
pub(super) const LEAD_STATUS: &[&str] = &[
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
];
pub(super) const CASE_STATUS: &[&str] = &["New", "Working", "Escalated", "Closed"];
pub(super) const CASE_ORIGIN: &[&str] = &["Phone", "Email", "Web"];
pub(super) const CASE_TYPE: &[&str] = &[
    "Mechanical",
    "Electrical",
    "Electronic",
    "Structural",
    "Other",
];
pub(super) const CASE_REASON: &[&str] = &[
    "Installation",
    "Equipment Complexity",
    "Performance",
    "Breakdown",
    "Equipment Design",
    "Feedback",
    "Other",
];
pub(super) const INVOICE_STATUS: &[&str] = &["Draft", "Sent", "Paid", "Overdue", "Void"];
pub(super) const TERMS: &[&str] = &["Net 15", "Net 30", "Net 60", "Due on Receipt"];
pub(super) const CHANNELS: &[&str] = &["Email", "Portal", "Post", "EDI"];
pub(super) const INTERESTS: &[&str] = &["Solar", "Wind", "Storage", "Grid", "Hydrogen"];
pub(super) const TIMEZONES: &[&str] = &[
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Europe/Paris",
    "Asia/Tokyo",
];
pub(super) const LOCALES: &[&str] = &["en_US", "en_GB", "fr_FR", "de_DE", "ja_JP"];
pub(super) const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Finance",
    "Operations",
    "Support",
    "IT",
    "Marketing",
];
pub(super) const LANGUAGES: &[&str] =
    &["English", "English, French", "German", "日本語", "Español"];
pub(super) const PRODUCTS: &[&str] = &["GC1040", "GC1060", "GC3020", "GC3040", "GC5020", "GC5040"];
pub(super) const GENERATORS: &[&str] =
    &["Caterpillar", "Kohler", "Generac", "Cummins", "John Deere"];
pub(super) const COMPETITORS: &[&str] = &["Acme, Inc.", "Globex", "Initech", "Umbrella \"Corp\""];

pub(super) fn f(name: &'static str, label: &'static str, ty: T, fill: G) -> FieldDef {
    FieldDef::new(name, label, ty, fill)
}

/// `Id` and `IsDeleted`, first in every describe.
pub(super) fn head(with_is_deleted: bool) -> Vec<FieldDef> {
    let mut v = vec![f("Id", "Record ID", T::Id, G::Id).system().extra("id")];
    if with_is_deleted {
        v.push(f("IsDeleted", "Deleted", T::Boolean, G::IsDeleted).system());
    }
    v
}

/// The audit fields every object carries.
pub(super) fn audit() -> Vec<FieldDef> {
    vec![
        f("CreatedDate", "Created Date", T::DateTime, G::Created)
            .system()
            .required(),
        f("CreatedById", "Created By ID", T::Reference, G::User)
            .system()
            .required()
            .reference(&["User"], "CreatedBy"),
        f(
            "LastModifiedDate",
            "Last Modified Date",
            T::DateTime,
            G::LastModified,
        )
        .system()
        .required(),
        f(
            "LastModifiedById",
            "Last Modified By ID",
            T::Reference,
            G::User,
        )
        .system()
        .required()
        .reference(&["User"], "LastModifiedBy"),
        f(
            "SystemModstamp",
            "System Modstamp",
            T::DateTime,
            G::SystemModstamp,
        )
        .system()
        .required(),
    ]
}

pub(super) fn currency_iso() -> FieldDef {
    f(
        "CurrencyIsoCode",
        "Currency ISO Code",
        T::Picklist,
        G::CurrencyIsoCode,
    )
    .picklist(CURRENCIES)
    .restricted()
    .len(3)
}

pub(super) fn owner(to: &'static [&'static str]) -> FieldDef {
    f("OwnerId", "Owner ID", T::Reference, G::User)
        .required()
        .reference(to, "Owner")
}

/// The street/city/…/latitude/longitude parts and the compound address field itself.
pub(super) fn address(names: [&'static str; 9], label: &'static str) -> Vec<FieldDef> {
    let compound = names[8];
    vec![
        f(names[0], "Street", T::Textarea, G::Street)
            .len(255)
            .part_of(compound),
        f(names[1], "City", T::String, G::City)
            .len(40)
            .part_of(compound),
        f(names[2], "State/Province", T::String, G::State)
            .len(80)
            .part_of(compound),
        f(names[3], "Zip/Postal Code", T::String, G::PostalCode)
            .len(20)
            .part_of(compound),
        f(names[4], "Country", T::String, G::Country)
            .len(80)
            .part_of(compound),
        f(names[5], "Latitude", T::Double, G::Latitude)
            .number(18, 15)
            .part_of(compound),
        f(names[6], "Longitude", T::Double, G::Longitude)
            .number(18, 15)
            .part_of(compound),
        f(
            names[7],
            "Geocode Accuracy",
            T::Picklist,
            G::GeocodeAccuracy,
        )
        .picklist(GEOCODE)
        .restricted()
        .len(40)
        .part_of(compound),
        f(compound, label, T::Address, G::Compound).system(),
    ]
}

pub(super) fn address_named(prefix: &'static str, label: &'static str) -> Vec<FieldDef> {
    let leak =
        |suffix: &str| -> &'static str { Box::leak(format!("{prefix}{suffix}").into_boxed_str()) };
    address(
        [
            leak("Street"),
            leak("City"),
            leak("State"),
            leak("PostalCode"),
            leak("Country"),
            leak("Latitude"),
            leak("Longitude"),
            leak("GeocodeAccuracy"),
            leak("Address"),
        ],
        label,
    )
}

/// A custom geolocation field `{name}__c` with its `__Latitude__s`/`__Longitude__s` parts.
pub(super) fn location(base: &'static str, label: &'static str) -> Vec<FieldDef> {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let compound = leak(format!("{base}__c"));
    vec![
        f(
            leak(format!("{base}__Latitude__s")),
            label,
            T::Double,
            G::Latitude,
        )
        .number(18, 15)
        .part_of(compound),
        f(
            leak(format!("{base}__Longitude__s")),
            label,
            T::Double,
            G::Longitude,
        )
        .number(18, 15)
        .part_of(compound),
        f(compound, label, T::Location, G::Compound).system(),
    ]
}

pub(super) fn person_name(first_null_pct: u8) -> Vec<FieldDef> {
    vec![
        f("LastName", "Last Name", T::String, G::LastName)
            .len(80)
            .required()
            .part_of("Name"),
        f("FirstName", "First Name", T::String, G::FirstName)
            .len(40)
            .part_of("Name"),
        f(
            "Salutation",
            "Salutation",
            T::Picklist,
            G::Pick(60 + first_null_pct / 10),
        )
        .picklist(SALUTATIONS)
        .part_of("Name"),
        f("Name", "Full Name", T::String, G::FullName)
            .len(121)
            .system()
            .required()
            .name_field()
            .extra("personname"),
    ]
}

/// Every object of the org, in describeGlobal order.
pub(crate) fn all() -> Vec<ObjectDef> {
    vec![
        sales::account(),
        service::case(),
        sales::contact(),
        service::invoice(),
        sales::lead(),
        sales::opportunity(),
        service::user(),
    ]
}

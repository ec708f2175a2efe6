//! The org's objects: Account, Contact, Opportunity, Lead, Case, User and the custom `Invoice__c`.
//!
//! Field lists follow real describes (see the fixtures' describe folder) trimmed to a few dozen
//! fields each, with custom fields added so that every field type the connector maps occurs.

use super::schema::{FieldDef, FieldType as T, Gen as G, ObjectDef};

const CURRENCIES: &[&str] = &["USD", "EUR", "GBP", "JPY", "CHF"];
const ACCOUNT_TYPES: &[&str] = &[
    "Prospect",
    "Customer - Direct",
    "Customer - Channel",
    "Channel Partner / Reseller",
    "Installation Partner",
    "Technology Partner",
    "Other",
];
const INDUSTRIES: &[&str] = &[
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
const RATINGS: &[&str] = &["Hot", "Warm", "Cold"];
const OWNERSHIP: &[&str] = &["Public", "Private", "Subsidiary", "Other"];
const SOURCES: &[&str] = &[
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Other",
];
const GEOCODE: &[&str] = &[
    "Address",
    "NearAddress",
    "Block",
    "Street",
    "ExtendedZip",
    "Zip",
    "City",
];
const YES_NO: &[&str] = &["Yes", "No"];
const PRIORITY: &[&str] = &["High", "Medium", "Low"];
const REGIONS: &[&str] = &["AMER", "EMEA", "APAC", "LATAM"];
const SALUTATIONS: &[&str] = &["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."];
const STAGES: &[&str] = &[
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
const FORECAST: &[&str] = &["Omitted", "Pipeline", "BestCase", "Forecast", "Closed"];
const LEAD_STATUS: &[&str] = &[
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
];
const CASE_STATUS: &[&str] = &["New", "Working", "Escalated", "Closed"];
const CASE_ORIGIN: &[&str] = &["Phone", "Email", "Web"];
const CASE_TYPE: &[&str] = &[
    "Mechanical",
    "Electrical",
    "Electronic",
    "Structural",
    "Other",
];
const CASE_REASON: &[&str] = &[
    "Installation",
    "Equipment Complexity",
    "Performance",
    "Breakdown",
    "Equipment Design",
    "Feedback",
    "Other",
];
const INVOICE_STATUS: &[&str] = &["Draft", "Sent", "Paid", "Overdue", "Void"];
const TERMS: &[&str] = &["Net 15", "Net 30", "Net 60", "Due on Receipt"];
const CHANNELS: &[&str] = &["Email", "Portal", "Post", "EDI"];
const INTERESTS: &[&str] = &["Solar", "Wind", "Storage", "Grid", "Hydrogen"];
const TIMEZONES: &[&str] = &[
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Europe/Paris",
    "Asia/Tokyo",
];
const LOCALES: &[&str] = &["en_US", "en_GB", "fr_FR", "de_DE", "ja_JP"];
const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Finance",
    "Operations",
    "Support",
    "IT",
    "Marketing",
];
const LANGUAGES: &[&str] = &["English", "English, French", "German", "日本語", "Español"];
const PRODUCTS: &[&str] = &["GC1040", "GC1060", "GC3020", "GC3040", "GC5020", "GC5040"];
const GENERATORS: &[&str] = &["Caterpillar", "Kohler", "Generac", "Cummins", "John Deere"];
const COMPETITORS: &[&str] = &["Acme, Inc.", "Globex", "Initech", "Umbrella \"Corp\""];

fn f(name: &'static str, label: &'static str, ty: T, fill: G) -> FieldDef {
    FieldDef::new(name, label, ty, fill)
}

/// `Id` and `IsDeleted`, first in every describe.
fn head(with_is_deleted: bool) -> Vec<FieldDef> {
    let mut v = vec![f("Id", "Record ID", T::Id, G::Id).system().extra("id")];
    if with_is_deleted {
        v.push(f("IsDeleted", "Deleted", T::Boolean, G::IsDeleted).system());
    }
    v
}

/// The audit fields every object carries.
fn audit() -> Vec<FieldDef> {
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

fn currency_iso() -> FieldDef {
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

fn owner(to: &'static [&'static str]) -> FieldDef {
    f("OwnerId", "Owner ID", T::Reference, G::User)
        .required()
        .reference(to, "Owner")
}

/// The street/city/…/latitude/longitude parts and the compound address field itself.
fn address(prefix: &'static str, names: [&'static str; 9], label: &'static str) -> Vec<FieldDef> {
    let compound = names[8];
    let _ = prefix;
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

fn address_named(prefix: &'static str, label: &'static str) -> Vec<FieldDef> {
    let leak =
        |suffix: &str| -> &'static str { Box::leak(format!("{prefix}{suffix}").into_boxed_str()) };
    address(
        prefix,
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
fn location(base: &'static str, label: &'static str) -> Vec<FieldDef> {
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

fn person_name(first_null_pct: u8) -> Vec<FieldDef> {
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

fn account() -> ObjectDef {
    let mut fields = head(true);
    fields.extend([
        f("MasterRecordId", "Master Record ID", T::Reference, G::Null)
            .system()
            .reference(&["Account"], "MasterRecord"),
        f("Name", "Account Name", T::String, G::Company)
            .required()
            .name_field()
            .extra("switchablepersonname"),
        f("Type", "Account Type", T::Picklist, G::Pick(10)).picklist(ACCOUNT_TYPES),
        f(
            "ParentId",
            "Parent Account ID",
            T::Reference,
            G::Ref("Account", 85),
        )
        .reference(&["Account"], "Parent"),
    ]);
    fields.extend(address_named("Billing", "Billing Address"));
    fields.extend(address_named("Shipping", "Shipping Address"));
    fields.extend([
        f("Phone", "Account Phone", T::Phone, G::Phone(10)),
        f("Fax", "Account Fax", T::Phone, G::Phone(70)),
        f(
            "AccountNumber",
            "Account Number",
            T::String,
            G::AutoNumber("CD"),
        )
        .len(40),
        f("Website", "Website", T::Url, G::Url(20)),
        f("Sic", "SIC Code", T::String, G::Int(1000, 9999, 40)).len(20),
        f("Industry", "Industry", T::Picklist, G::Pick(15)).picklist(INDUSTRIES),
        f(
            "AnnualRevenue",
            "Annual Revenue",
            T::Currency,
            G::Number(10_000.0, 5.0e9, 20),
        )
        .number(18, 0),
        f(
            "NumberOfEmployees",
            "Employees",
            T::Int,
            G::Int(1, 250_000, 15),
        )
        .len(0),
        f("Ownership", "Ownership", T::Picklist, G::Pick(30)).picklist(OWNERSHIP),
        f(
            "TickerSymbol",
            "Ticker Symbol",
            T::String,
            G::OneOf(&["ACME", "GLBX", "INTC", "UMBR", "STRK"], 80),
        )
        .len(20),
        f(
            "Description",
            "Account Description",
            T::Textarea,
            G::Prose(30),
        ),
        f("Rating", "Account Rating", T::Picklist, G::Pick(40)).picklist(RATINGS),
        f(
            "Site",
            "Account Site",
            T::String,
            G::OneOf(&["HQ", "Branch", "Plant №2", "Zürich"], 60),
        )
        .len(80),
        currency_iso(),
        owner(&["User"]),
    ]);
    fields.extend(audit());
    fields.extend([
        f("LastActivityDate", "Last Activity", T::Date, G::Date(40)).system(),
        f("AccountSource", "Account Source", T::Picklist, G::Pick(25)).picklist(SOURCES),
        f(
            "SicDesc",
            "SIC Description",
            T::String,
            G::OneOf(&["Electric Services", "Software", "Banks, commercial"], 50),
        )
        .len(80),
        f("Active__c", "Active", T::Picklist, G::Pick(10)).picklist(YES_NO),
        f(
            "CustomerPriority__c",
            "Customer Priority",
            T::Picklist,
            G::Pick(20),
        )
        .picklist(PRIORITY),
        f(
            "SLAExpirationDate__c",
            "SLA Expiration Date",
            T::Date,
            G::Date(30),
        ),
        f(
            "NumberofLocations__c",
            "Number of Locations",
            T::Double,
            G::Number(1.0, 500.0, 20),
        )
        .number(3, 0),
        f(
            "UpsellOpportunity__c",
            "Upsell Opportunity",
            T::Picklist,
            G::Pick(30),
        )
        .picklist(&["Maybe", "No", "Yes"]),
        f(
            "Segment__c",
            "Segment",
            T::Combobox,
            G::OneOf(&["Enterprise", "Mid-Market", "SMB", "Public Sector"], 20),
        )
        .picklist(&["Enterprise", "Mid-Market", "SMB"]),
        f("Regions__c", "Regions", T::Multipicklist, G::MultiPick(20)).picklist(REGIONS),
        f(
            "Discount__c",
            "Discount",
            T::Percent,
            G::Number(0.0, 35.0, 50),
        )
        .number(5, 2),
        f("Is_Partner__c", "Is Partner", T::Boolean, G::Bool(15)),
        f(
            "External_Key__c",
            "External Key",
            T::String,
            G::AutoNumber("EXT"),
        )
        .len(40)
        .external_id(),
    ]);
    fields.extend(location("HQ_Location", "HQ Location"));
    let mut def = ObjectDef::new("Account", "Account", "Accounts", "001", 1000, fields);
    def.children = vec![
        ("Account", "ParentId", "ChildAccounts", false),
        ("Contact", "AccountId", "Contacts", false),
        ("Opportunity", "AccountId", "Opportunities", false),
        ("Case", "AccountId", "Cases", false),
        ("Invoice__c", "Account__c", "Invoices__r", false),
    ];
    def
}

fn contact() -> ObjectDef {
    let mut fields = head(true);
    fields.extend([
        f("MasterRecordId", "Master Record ID", T::Reference, G::Null)
            .system()
            .reference(&["Contact"], "MasterRecord"),
        f(
            "AccountId",
            "Account ID",
            T::Reference,
            G::Ref("Account", 0),
        )
        .reference(&["Account"], "Account"),
    ]);
    fields.extend(person_name(10));
    fields.extend(address_named("Mailing", "Mailing Address"));
    fields.extend([
        f("Phone", "Business Phone", T::Phone, G::Phone(10)),
        f("Fax", "Business Fax", T::Phone, G::Phone(80)),
        f("MobilePhone", "Mobile Phone", T::Phone, G::Phone(30)),
        f("HomePhone", "Home Phone", T::Phone, G::Phone(70)),
        f(
            "ReportsToId",
            "Reports To ID",
            T::Reference,
            G::Ref("Contact", 85),
        )
        .reference(&["Contact"], "ReportsTo"),
        f("Email", "Email", T::Email, G::Email(10)),
        f("Title", "Title", T::String, G::Title(20)).len(128),
        f(
            "Department",
            "Department",
            T::String,
            G::OneOf(DEPARTMENTS, 30),
        )
        .len(80),
        f("LeadSource", "Lead Source", T::Picklist, G::Pick(20)).picklist(SOURCES),
        f("Birthdate", "Birthdate", T::Date, G::Date(60)),
        f(
            "Description",
            "Contact Description",
            T::Textarea,
            G::Prose(50),
        ),
        f(
            "HasOptedOutOfEmail",
            "Email Opt Out",
            T::Boolean,
            G::Bool(10),
        ),
        f("DoNotCall", "Do Not Call", T::Boolean, G::Bool(5)),
        currency_iso(),
        owner(&["User"]),
    ]);
    fields.extend(audit());
    fields.extend([
        f("LastActivityDate", "Last Activity", T::Date, G::Date(50)).system(),
        f(
            "EmailBouncedDate",
            "Email Bounced Date",
            T::DateTime,
            G::Null,
        ),
        f(
            "Languages__c",
            "Languages",
            T::String,
            G::OneOf(LANGUAGES, 30),
        )
        .len(100),
        f("Level__c", "Level", T::Picklist, G::Pick(30)).picklist(&[
            "Primary",
            "Secondary",
            "Tertiary",
        ]),
        f(
            "Preferred_Call_Time__c",
            "Preferred Call Time",
            T::Time,
            G::Time(40),
        ),
        f(
            "Tax_Id__c",
            "Tax ID",
            T::EncryptedString,
            G::Int(100_000_000, 999_999_999, 50),
        )
        .len(11),
        f(
            "Interests__c",
            "Interests",
            T::Multipicklist,
            G::MultiPick(30),
        )
        .picklist(INTERESTS),
    ]);
    let mut def = ObjectDef::new("Contact", "Contact", "Contacts", "003", 2000, fields);
    def.children = vec![
        ("Contact", "ReportsToId", "ReportsTo", false),
        ("Case", "ContactId", "Cases", false),
        ("Invoice__c", "Contact__c", "Invoices__r", false),
    ];
    def
}

fn opportunity() -> ObjectDef {
    let mut fields = head(true);
    fields.extend([
        f(
            "AccountId",
            "Account ID",
            T::Reference,
            G::Ref("Account", 5),
        )
        .reference(&["Account"], "Account"),
        f("IsPrivate", "Private", T::Boolean, G::Bool(3)),
        f("Name", "Name", T::String, G::Title(0))
            .len(120)
            .required()
            .name_field(),
        f("Description", "Description", T::Textarea, G::Prose(40)),
        f("StageName", "Stage", T::Picklist, G::Pick(0))
            .picklist(STAGES)
            .required(),
        f(
            "Amount",
            "Amount",
            T::Currency,
            G::Number(500.0, 2_000_000.0, 10),
        ),
        f(
            "Probability",
            "Probability (%)",
            T::Percent,
            G::Int(0, 100, 5),
        )
        .number(3, 0),
        f(
            "ExpectedRevenue",
            "Expected Amount",
            T::Currency,
            G::Number(0.0, 1_000_000.0, 20),
        )
        .formula(),
        f(
            "TotalOpportunityQuantity",
            "Quantity",
            T::Double,
            G::Number(1.0, 1000.0, 60),
        )
        .number(18, 2),
        f("CloseDate", "Close Date", T::Date, G::Date(0)).required(),
        f("Type", "Opportunity Type", T::Picklist, G::Pick(20)).picklist(&[
            "Existing Customer - Upgrade",
            "Existing Customer - Replacement",
            "New Customer",
        ]),
        f("NextStep", "Next Step", T::String, G::Prose(50)).len(255),
        f("LeadSource", "Lead Source", T::Picklist, G::Pick(20)).picklist(SOURCES),
        f("IsClosed", "Closed", T::Boolean, G::Bool(30)).system(),
        f("IsWon", "Won", T::Boolean, G::Bool(15)).system(),
        f(
            "ForecastCategory",
            "Forecast Category",
            T::Picklist,
            G::Pick(0),
        )
        .picklist(FORECAST)
        .system(),
        f(
            "HasOpportunityLineItem",
            "Has Line Item",
            T::Boolean,
            G::Bool(40),
        )
        .system(),
        currency_iso(),
        owner(&["User"]),
    ]);
    fields.extend(audit());
    fields.extend([
        f("FiscalQuarter", "Fiscal Quarter", T::Int, G::Int(1, 4, 0)).system(),
        f("FiscalYear", "Fiscal Year", T::Int, G::Int(2019, 2026, 0)).system(),
        f(
            "DeliveryInstallationStatus__c",
            "Delivery/Installation Status",
            T::Picklist,
            G::Pick(40),
        )
        .picklist(&["In progress", "Yet to begin", "Completed"]),
        f(
            "TrackingNumber__c",
            "Tracking Number",
            T::String,
            G::AutoNumber("TRK"),
        )
        .len(12),
        f(
            "OrderNumber__c",
            "Order Number",
            T::String,
            G::AutoNumber("ORD"),
        )
        .len(8),
        f(
            "CurrentGenerators__c",
            "Current Generator(s)",
            T::String,
            G::OneOf(GENERATORS, 40),
        )
        .len(100),
        f(
            "MainCompetitors__c",
            "Main Competitor(s)",
            T::String,
            G::OneOf(COMPETITORS, 40),
        )
        .len(100),
    ]);
    ObjectDef::new(
        "Opportunity",
        "Opportunity",
        "Opportunities",
        "006",
        1000,
        fields,
    )
}

fn lead() -> ObjectDef {
    let mut fields = head(true);
    fields.push(
        f("MasterRecordId", "Master Record ID", T::Reference, G::Null)
            .system()
            .reference(&["Lead"], "MasterRecord"),
    );
    fields.extend(person_name(10));
    fields.extend([
        f("Title", "Title", T::String, G::Title(30)).len(128),
        f("Company", "Company", T::String, G::Company)
            .len(255)
            .required(),
    ]);
    fields.extend(address(
        "",
        [
            "Street",
            "City",
            "State",
            "PostalCode",
            "Country",
            "Latitude",
            "Longitude",
            "GeocodeAccuracy",
            "Address",
        ],
        "Address",
    ));
    fields.extend([
        f("Phone", "Phone", T::Phone, G::Phone(20)),
        f("MobilePhone", "Mobile Phone", T::Phone, G::Phone(50)),
        f("Email", "Email", T::Email, G::Email(10)),
        f("Website", "Website", T::Url, G::Url(50)),
        f("Description", "Description", T::Textarea, G::Prose(50)),
        f("LeadSource", "Lead Source", T::Picklist, G::Pick(10)).picklist(SOURCES),
        f("Status", "Status", T::Picklist, G::Pick(0))
            .picklist(LEAD_STATUS)
            .required(),
        f("Industry", "Industry", T::Picklist, G::Pick(30)).picklist(INDUSTRIES),
        f("Rating", "Rating", T::Picklist, G::Pick(40)).picklist(RATINGS),
        f(
            "AnnualRevenue",
            "Annual Revenue",
            T::Currency,
            G::Number(10_000.0, 9.0e8, 40),
        )
        .number(18, 0),
        f(
            "NumberOfEmployees",
            "Employees",
            T::Int,
            G::Int(1, 50_000, 40),
        ),
        currency_iso(),
        owner(&["Group", "User"]),
        f("IsConverted", "Converted", T::Boolean, G::Bool(10)).system(),
        f("ConvertedDate", "Converted Date", T::Date, G::Date(90)).system(),
        f(
            "ConvertedAccountId",
            "Converted Account ID",
            T::Reference,
            G::Ref("Account", 90),
        )
        .system()
        .reference(&["Account"], "ConvertedAccount"),
        f(
            "ConvertedContactId",
            "Converted Contact ID",
            T::Reference,
            G::Ref("Contact", 90),
        )
        .system()
        .reference(&["Contact"], "ConvertedContact"),
        f(
            "IsUnreadByOwner",
            "Unread By Owner",
            T::Boolean,
            G::Bool(20),
        ),
    ]);
    fields.extend(audit());
    fields.extend([
        f(
            "HasOptedOutOfEmail",
            "Email Opt Out",
            T::Boolean,
            G::Bool(10),
        ),
        f("DoNotCall", "Do Not Call", T::Boolean, G::Bool(5)),
        f(
            "ProductInterest__c",
            "Product Interest",
            T::Picklist,
            G::Pick(30),
        )
        .picklist(&["GC1000 series", "GC5000 series", "GC3000 series"]),
        f(
            "NumberofLocations__c",
            "Number of Locations",
            T::Double,
            G::Number(1.0, 90.0, 40),
        )
        .number(3, 0),
        f("Primary__c", "Primary", T::Picklist, G::Pick(40)).picklist(YES_NO),
    ]);
    ObjectDef::new("Lead", "Lead", "Leads", "00Q", 500, fields)
}

fn case() -> ObjectDef {
    let mut fields = head(true);
    fields.extend([
        f("MasterRecordId", "Master Record ID", T::Reference, G::Null)
            .system()
            .reference(&["Case"], "MasterRecord"),
        f(
            "CaseNumber",
            "Case Number",
            T::String,
            G::AutoNumber("0000"),
        )
        .len(30)
        .auto_number()
        .name_field(),
        f(
            "ContactId",
            "Contact ID",
            T::Reference,
            G::Ref("Contact", 10),
        )
        .reference(&["Contact"], "Contact"),
        f(
            "AccountId",
            "Account ID",
            T::Reference,
            G::Ref("Account", 5),
        )
        .reference(&["Account"], "Account"),
        f("SuppliedName", "Name", T::String, G::FullName).len(80),
        f("SuppliedEmail", "Email Address", T::Email, G::Email(40)),
        f("SuppliedPhone", "Phone", T::String, G::Phone(50)).len(40),
        f("SuppliedCompany", "Company", T::String, G::Company).len(80),
        f("Type", "Case Type", T::Picklist, G::Pick(20)).picklist(CASE_TYPE),
        f("Status", "Status", T::Picklist, G::Pick(0)).picklist(CASE_STATUS),
        f("Reason", "Case Reason", T::Picklist, G::Pick(30)).picklist(CASE_REASON),
        f("Origin", "Case Origin", T::Picklist, G::Pick(5)).picklist(CASE_ORIGIN),
        f("Subject", "Subject", T::String, G::Title(5)).len(255),
        f("Priority", "Priority", T::Picklist, G::Pick(0)).picklist(PRIORITY),
        f("Description", "Description", T::Textarea, G::Prose(20)),
        f("IsClosed", "Closed", T::Boolean, G::Bool(40)).system(),
        f("ClosedDate", "Closed Date", T::DateTime, G::Null).system(),
        f("IsEscalated", "Escalated", T::Boolean, G::Bool(10)),
        currency_iso(),
        owner(&["Group", "User"]),
    ]);
    fields.extend(audit());
    fields.extend([
        f(
            "EngineeringReqNumber__c",
            "Engineering Req Number",
            T::String,
            G::AutoNumber("ENG"),
        )
        .len(12),
        f("SLAViolation__c", "SLA Violation", T::Picklist, G::Pick(30)).picklist(YES_NO),
        f("Product__c", "Product", T::Picklist, G::Pick(30)).picklist(PRODUCTS),
        f(
            "PotentialLiability__c",
            "Potential Liability",
            T::Picklist,
            G::Pick(30),
        )
        .picklist(YES_NO),
    ]);
    ObjectDef::new("Case", "Case", "Cases", "500", 500, fields)
}

fn user() -> ObjectDef {
    let mut fields = head(false);
    fields.push(
        f("Username", "Username", T::String, G::Email(0))
            .len(80)
            .required(),
    );
    fields.extend(person_name(0));
    fields.extend([
        f(
            "CompanyName",
            "Company Name",
            T::String,
            G::OneOf(&["Acme Solar GmbH"], 0),
        )
        .len(80),
        f("Division", "Division", T::String, G::OneOf(REGIONS, 30)).len(80),
        f(
            "Department",
            "Department",
            T::String,
            G::OneOf(DEPARTMENTS, 10),
        )
        .len(80),
        f("Title", "Title", T::String, G::Title(10)).len(80),
    ]);
    fields.extend(address(
        "",
        [
            "Street",
            "City",
            "State",
            "PostalCode",
            "Country",
            "Latitude",
            "Longitude",
            "GeocodeAccuracy",
            "Address",
        ],
        "Address",
    ));
    fields.extend([
        f("Email", "Email", T::Email, G::Email(0)).required(),
        f("Phone", "Phone", T::Phone, G::Phone(20)),
        f("MobilePhone", "Mobile", T::Phone, G::Phone(40)),
        f("Alias", "Alias", T::String, G::AutoNumber("u"))
            .len(8)
            .required(),
        f("IsActive", "Active", T::Boolean, G::Bool(90)),
        f("TimeZoneSidKey", "Time Zone", T::Picklist, G::Pick(0))
            .picklist(TIMEZONES)
            .required(),
        f("LocaleSidKey", "Locale", T::Picklist, G::Pick(0))
            .picklist(LOCALES)
            .required(),
        f(
            "EmailEncodingKey",
            "Email Encoding",
            T::Picklist,
            G::OneOf(&["UTF-8"], 0),
        )
        .picklist(&["UTF-8", "ISO-8859-1"])
        .required(),
        f("LanguageLocaleKey", "Language", T::Picklist, G::Pick(0))
            .picklist(LOCALES)
            .required(),
        f(
            "UserType",
            "User Type",
            T::Picklist,
            G::OneOf(&["Standard"], 0),
        )
        .picklist(&["Standard", "PowerPartner", "CsnOnly"])
        .system(),
        f(
            "EmployeeNumber",
            "Employee Number",
            T::String,
            G::AutoNumber("E"),
        )
        .len(20),
        f("ManagerId", "Manager ID", T::Reference, G::Ref("User", 50))
            .reference(&["User"], "Manager"),
        f("LastLoginDate", "Last Login", T::DateTime, G::Null).system(),
        f(
            "DefaultCurrencyIsoCode",
            "User Currency",
            T::Picklist,
            G::CurrencyIsoCode,
        )
        .picklist(CURRENCIES)
        .len(3),
    ]);
    fields.extend(audit());
    let mut def = ObjectDef::new("User", "User", "Users", "005", 5, fields);
    def.min_rows = 25;
    def
}

fn invoice() -> ObjectDef {
    let mut fields = head(true);
    fields.extend([
        owner(&["Group", "User"]),
        f("Name", "Invoice Number", T::String, G::AutoNumber("INV-"))
            .len(80)
            .auto_number()
            .name_field(),
        currency_iso(),
    ]);
    fields.extend(audit());
    fields.extend([
        f(
            "LastActivityDate",
            "Last Activity Date",
            T::Date,
            G::Date(60),
        )
        .system(),
        f("Account__c", "Account", T::Reference, G::Ref("Account", 0))
            .required()
            .reference(&["Account"], "Account__r"),
        f(
            "Contact__c",
            "Bill-To Contact",
            T::Reference,
            G::Ref("Contact", 30),
        )
        .reference(&["Contact"], "Contact__r"),
        f(
            "Amount__c",
            "Amount",
            T::Currency,
            G::Number(10.0, 250_000.0, 2),
        )
        .number(16, 2),
        f(
            "Tax_Rate__c",
            "Tax Rate",
            T::Percent,
            G::Number(0.0, 25.0, 10),
        )
        .number(5, 2),
        f("Status__c", "Status", T::Picklist, G::Pick(0))
            .picklist(INVOICE_STATUS)
            .restricted(),
        f("Issue_Date__c", "Issue Date", T::Date, G::Date(0)),
        f("Due_Date__c", "Due Date", T::Date, G::Date(5)),
        f("Paid__c", "Paid", T::Boolean, G::Bool(55)),
        f("Paid_At__c", "Paid At", T::DateTime, G::Null),
        f("Notes__c", "Notes", T::Textarea, G::Prose(40)).len(131_072),
        f(
            "Line_Count__c",
            "Line Count",
            T::Double,
            G::Number(1.0, 60.0, 0),
        )
        .number(3, 0),
        f(
            "Payment_Terms__c",
            "Payment Terms",
            T::Picklist,
            G::Pick(10),
        )
        .picklist(TERMS),
        f(
            "Channels__c",
            "Delivery Channels",
            T::Multipicklist,
            G::MultiPick(20),
        )
        .picklist(CHANNELS),
        f("Document__c", "Document", T::Base64, G::Base64(60)),
        f(
            "Delivery_Window_Start__c",
            "Delivery Window Start",
            T::Time,
            G::Time(30),
        ),
        f(
            "Reference__c",
            "External Reference",
            T::String,
            G::AutoNumber("REF"),
        )
        .len(40)
        .external_id(),
        f("Portal_Url__c", "Portal URL", T::Url, G::Url(40)),
        f("Billing_Email__c", "Billing Email", T::Email, G::Email(20)),
        f(
            "Days_Overdue__c",
            "Days Overdue",
            T::Double,
            G::Int(0, 120, 70),
        )
        .number(18, 0)
        .formula(),
    ]);
    fields.extend(location("Ship_To", "Ship To"));
    ObjectDef::new("Invoice__c", "Invoice", "Invoices", "a01", 1500, fields)
}

/// Every object of the org, in describeGlobal order.
pub(crate) fn all() -> Vec<ObjectDef> {
    vec![
        account(),
        case(),
        contact(),
        invoice(),
        lead(),
        opportunity(),
        user(),
    ]
}

//! The sales objects: Account, Contact, Opportunity, Lead.

use super::*;

pub(super) fn account() -> ObjectDef {
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

pub(super) fn contact() -> ObjectDef {
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

pub(super) fn opportunity() -> ObjectDef {
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

pub(super) fn lead() -> ObjectDef {
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
    fields.extend(address_named("", "Address"));
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

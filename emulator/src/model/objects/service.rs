//! Service and admin objects: Case, User, and the custom `Invoice__c`.

use super::*;

pub(super) fn case() -> ObjectDef {
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

pub(super) fn user() -> ObjectDef {
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
    fields.extend(address_named("", "Address"));
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

pub(super) fn invoice() -> ObjectDef {
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

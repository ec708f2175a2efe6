//! Object and field definitions: what describe reports and what the data generator fills.

use std::collections::HashMap;

/// A field's Salesforce type (the lower-case `type` of describe).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldType {
    Id,
    Reference,
    String,
    Textarea,
    Email,
    Phone,
    Url,
    Picklist,
    Multipicklist,
    Combobox,
    EncryptedString,
    Boolean,
    Int,
    Double,
    Currency,
    Percent,
    Date,
    DateTime,
    Time,
    Base64,
    Address,
    Location,
}

impl FieldType {
    /// The `type` value of describe.
    pub(crate) fn api_name(self) -> &'static str {
        match self {
            FieldType::Id => "id",
            FieldType::Reference => "reference",
            FieldType::String => "string",
            FieldType::Textarea => "textarea",
            FieldType::Email => "email",
            FieldType::Phone => "phone",
            FieldType::Url => "url",
            FieldType::Picklist => "picklist",
            FieldType::Multipicklist => "multipicklist",
            FieldType::Combobox => "combobox",
            FieldType::EncryptedString => "encryptedstring",
            FieldType::Boolean => "boolean",
            FieldType::Int => "int",
            FieldType::Double => "double",
            FieldType::Currency => "currency",
            FieldType::Percent => "percent",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
            FieldType::Time => "time",
            FieldType::Base64 => "base64",
            FieldType::Address => "address",
            FieldType::Location => "location",
        }
    }

    /// The `soapType` value of describe.
    pub(crate) fn soap_type(self) -> &'static str {
        match self {
            FieldType::Id | FieldType::Reference => "tns:ID",
            FieldType::Boolean => "xsd:boolean",
            FieldType::Int => "xsd:int",
            FieldType::Double | FieldType::Currency | FieldType::Percent => "xsd:double",
            FieldType::Date => "xsd:date",
            FieldType::DateTime => "xsd:dateTime",
            FieldType::Time => "xsd:time",
            FieldType::Base64 => "xsd:base64Binary",
            FieldType::Address => "urn:address",
            FieldType::Location => "urn:location",
            _ => "xsd:string",
        }
    }

    /// Compound fields cannot be selected in Bulk queries and have no stored value.
    pub(crate) fn is_compound(self) -> bool {
        matches!(self, FieldType::Address | FieldType::Location)
    }

    pub(crate) fn is_text(self) -> bool {
        matches!(
            self,
            FieldType::String
                | FieldType::Textarea
                | FieldType::Email
                | FieldType::Phone
                | FieldType::Url
                | FieldType::Picklist
                | FieldType::Multipicklist
                | FieldType::Combobox
                | FieldType::EncryptedString
        )
    }
}

/// How the data generator fills a field.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Gen {
    /// The record's own Id.
    Id,
    IsDeleted,
    Created,
    LastModified,
    SystemModstamp,
    /// A User id (owner, creator, modifier).
    User,
    /// An id of a row of `object`; null with the given percentage.
    Ref(&'static str, u8),
    Company,
    FirstName,
    LastName,
    /// `FirstName LastName` of the same record.
    FullName,
    Title(u8),
    /// Free text with commas, quotes, line breaks and non-ASCII; null with the given percentage.
    Prose(u8),
    /// One of these strings; null with the given percentage.
    OneOf(&'static [&'static str], u8),
    Street,
    City,
    State,
    PostalCode,
    Country,
    Latitude,
    Longitude,
    GeocodeAccuracy,
    Phone(u8),
    Email(u8),
    Url(u8),
    /// A value of the field's picklist; null with the given percentage.
    Pick(u8),
    MultiPick(u8),
    /// True with the given percentage.
    Bool(u8),
    Int(i64, i64, u8),
    /// A number between the bounds with the field's scale; null with the given percentage.
    Number(f64, f64, u8),
    Date(u8),
    Time(u8),
    Base64(u8),
    CurrencyIsoCode,
    /// `prefix-000123` from the row index.
    AutoNumber(&'static str),
    /// Computed from its parts when rendered (address, location).
    Compound,
    Null,
}

/// One field of an object.
#[derive(Clone, Debug)]
pub(crate) struct FieldDef {
    pub name: &'static str,
    pub label: &'static str,
    pub ty: FieldType,
    pub length: u32,
    pub precision: u32,
    pub scale: u32,
    pub digits: u32,
    pub nillable: bool,
    pub createable: bool,
    pub updateable: bool,
    pub custom: bool,
    pub name_field: bool,
    pub unique: bool,
    pub external_id: bool,
    pub defaulted_on_create: bool,
    pub calculated: bool,
    pub auto_number: bool,
    pub reference_to: &'static [&'static str],
    pub relationship_name: Option<&'static str>,
    pub compound: Option<&'static str>,
    pub picklist: &'static [&'static str],
    pub restricted: bool,
    pub extra_type_info: Option<&'static str>,
    pub fill: Gen,
}

impl FieldDef {
    /// A field with the defaults of its type: nillable, createable, updateable.
    pub(crate) fn new(name: &'static str, label: &'static str, ty: FieldType, fill: Gen) -> Self {
        let (length, precision, scale, digits) = match ty {
            FieldType::Id | FieldType::Reference => (18, 0, 0, 0),
            FieldType::String | FieldType::Combobox | FieldType::EncryptedString => (255, 0, 0, 0),
            FieldType::Textarea => (32000, 0, 0, 0),
            FieldType::Email => (80, 0, 0, 0),
            FieldType::Phone => (40, 0, 0, 0),
            FieldType::Url => (255, 0, 0, 0),
            FieldType::Picklist => (255, 0, 0, 0),
            FieldType::Multipicklist => (4099, 0, 0, 0),
            FieldType::Int => (0, 0, 0, 9),
            FieldType::Double => (0, 18, 2, 0),
            FieldType::Currency => (0, 18, 2, 0),
            FieldType::Percent => (0, 5, 2, 0),
            FieldType::Base64 => (32_000_000, 0, 0, 0),
            _ => (0, 0, 0, 0),
        };
        FieldDef {
            name,
            label,
            ty,
            length,
            precision,
            scale,
            digits,
            nillable: !matches!(ty, FieldType::Boolean | FieldType::Id),
            createable: true,
            updateable: true,
            custom: name.ends_with("__c") || name.ends_with("__s"),
            name_field: false,
            unique: false,
            external_id: false,
            defaulted_on_create: matches!(ty, FieldType::Boolean),
            calculated: false,
            auto_number: false,
            reference_to: &[],
            relationship_name: None,
            compound: None,
            picklist: &[],
            restricted: false,
            extra_type_info: None,
            fill,
        }
    }

    /// Read-only system field (audit fields, Id, IsDeleted, compound fields).
    pub(crate) fn system(mut self) -> Self {
        self.createable = false;
        self.updateable = false;
        self
    }

    pub(crate) fn required(mut self) -> Self {
        self.nillable = false;
        self
    }

    pub(crate) fn name_field(mut self) -> Self {
        self.name_field = true;
        self
    }

    pub(crate) fn reference(
        mut self,
        to: &'static [&'static str],
        relationship: &'static str,
    ) -> Self {
        self.reference_to = to;
        self.relationship_name = Some(relationship);
        self
    }

    pub(crate) fn part_of(mut self, compound: &'static str) -> Self {
        self.compound = Some(compound);
        self
    }

    pub(crate) fn picklist(mut self, values: &'static [&'static str]) -> Self {
        self.picklist = values;
        self
    }

    pub(crate) fn restricted(mut self) -> Self {
        self.restricted = true;
        self
    }

    pub(crate) fn len(mut self, length: u32) -> Self {
        self.length = length;
        self
    }

    pub(crate) fn number(mut self, precision: u32, scale: u32) -> Self {
        self.precision = precision;
        self.scale = scale;
        self
    }

    pub(crate) fn external_id(mut self) -> Self {
        self.external_id = true;
        self.unique = true;
        self
    }

    pub(crate) fn auto_number(mut self) -> Self {
        self.auto_number = true;
        self.createable = false;
        self.updateable = false;
        self.nillable = false;
        self.defaulted_on_create = true;
        self
    }

    pub(crate) fn formula(mut self) -> Self {
        self.calculated = true;
        self.createable = false;
        self.updateable = false;
        self
    }

    pub(crate) fn extra(mut self, info: &'static str) -> Self {
        self.extra_type_info = Some(info);
        self
    }

    pub(crate) fn filterable(&self) -> bool {
        !matches!(
            self.ty,
            FieldType::Textarea | FieldType::Base64 | FieldType::Address | FieldType::Location
        ) || (self.ty == FieldType::Textarea && self.length <= 255)
    }

    pub(crate) fn sortable(&self) -> bool {
        self.filterable() && self.ty != FieldType::Multipicklist
    }

    /// As real describes say: aggregate functions take every filterable field except
    /// checkboxes, multi-select picklists and times.
    pub(crate) fn aggregatable(&self) -> bool {
        self.filterable()
            && !matches!(
                self.ty,
                FieldType::Boolean | FieldType::Multipicklist | FieldType::Time
            )
    }

    pub(crate) fn groupable(&self) -> bool {
        self.sortable()
            && !matches!(
                self.ty,
                FieldType::Double
                    | FieldType::Currency
                    | FieldType::Percent
                    | FieldType::DateTime
                    | FieldType::Time
            )
    }
}

/// One object (sObject type) of the org.
#[derive(Debug)]
pub(crate) struct ObjectDef {
    pub name: &'static str,
    pub label: &'static str,
    pub label_plural: &'static str,
    pub key_prefix: &'static str,
    pub custom: bool,
    /// Rows per 1,000 Account rows (Account itself: 1,000).
    pub per_thousand_accounts: usize,
    /// Rows at least (User: the run-as users need rows).
    pub min_rows: usize,
    pub fields: Vec<FieldDef>,
    by_name: HashMap<String, usize>,
    /// Child relationships: (child object, field, relationship name, cascade delete).
    pub children: Vec<(&'static str, &'static str, &'static str, bool)>,
}

impl ObjectDef {
    pub(crate) fn new(
        name: &'static str,
        label: &'static str,
        label_plural: &'static str,
        key_prefix: &'static str,
        per_thousand_accounts: usize,
        fields: Vec<FieldDef>,
    ) -> Self {
        let by_name = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.to_ascii_lowercase(), i))
            .collect();
        ObjectDef {
            name,
            label,
            label_plural,
            key_prefix,
            custom: name.ends_with("__c"),
            per_thousand_accounts,
            min_rows: 0,
            fields,
            by_name,
            children: Vec::new(),
        }
    }

    /// The position of a field, by case-insensitive API name.
    pub(crate) fn field_index(&self, name: &str) -> Option<usize> {
        // Queries look fields up once per record: lower-case API names (at most 40
        // characters, plus `__c`) on the stack rather than in a new String each time.
        let mut buf = [0u8; 64];
        match buf.get_mut(..name.len()) {
            Some(lower) => {
                lower.copy_from_slice(name.as_bytes());
                lower.make_ascii_lowercase();
                let lower = std::str::from_utf8(lower).ok()?;
                self.by_name.get(lower).copied()
            }
            None => self.by_name.get(&name.to_ascii_lowercase()).copied(),
        }
    }

    pub(crate) fn field(&self, name: &str) -> Option<&FieldDef> {
        self.field_index(name).map(|i| &self.fields[i])
    }

    /// The reference field whose relationship name is `relationship` (case-insensitive).
    pub(crate) fn relationship(&self, relationship: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| {
            f.relationship_name
                .is_some_and(|r| r.eq_ignore_ascii_case(relationship))
        })
    }

    /// Rows the generator makes for `account_rows` Account rows.
    pub(crate) fn row_count(&self, account_rows: usize) -> usize {
        (account_rows * self.per_thousand_accounts / 1000).max(self.min_rows)
    }
}

//! The object and field metadata the checker validates against.

/// A field's type, as describe reports it in `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum FieldType {
    Id,
    Reference,
    String,
    TextArea,
    Picklist,
    MultiPicklist,
    Combobox,
    Email,
    Phone,
    Url,
    EncryptedString,
    Boolean,
    Int,
    Long,
    Double,
    Currency,
    Percent,
    Date,
    DateTime,
    Time,
    Base64,
    Location,
    Address,
    AnyType,
}

impl FieldType {
    /// From describe's `type` (`"string"`, `"datetime"`, ...); unknown types are `None`.
    pub fn from_describe(name: &str) -> Option<FieldType> {
        use FieldType::*;
        Some(match name.to_ascii_lowercase().as_str() {
            "id" => Id,
            "reference" => Reference,
            "string" => String,
            "textarea" => TextArea,
            "picklist" => Picklist,
            "multipicklist" => MultiPicklist,
            "combobox" => Combobox,
            "email" => Email,
            "phone" => Phone,
            "url" => Url,
            "encryptedstring" => EncryptedString,
            "boolean" => Boolean,
            "int" => Int,
            "long" => Long,
            "double" => Double,
            "currency" => Currency,
            "percent" => Percent,
            "date" => Date,
            "datetime" => DateTime,
            "time" => Time,
            "base64" => Base64,
            "location" => Location,
            "address" => Address,
            "anytype" => AnyType,
            _ => return None,
        })
    }

    /// The name orgs use in filter messages (`must be of type dateTime`).
    pub fn soql_name(self) -> &'static str {
        use FieldType::*;
        match self {
            Id => "id",
            Reference => "reference",
            String | TextArea | Combobox | Email | Phone | Url | EncryptedString => "string",
            Picklist => "picklist",
            MultiPicklist => "multipicklist",
            Boolean => "boolean",
            Int => "integer",
            Long => "long",
            Double => "double",
            Currency => "currency",
            Percent => "percent",
            Date => "date",
            DateTime => "dateTime",
            Time => "time",
            Base64 => "base64",
            Location => "location",
            Address => "address",
            AnyType => "anyType",
        }
    }

    /// Text-valued types: compared with quoted strings.
    pub fn is_text(self) -> bool {
        use FieldType::*;
        matches!(
            self,
            Id | Reference
                | String
                | TextArea
                | Picklist
                | MultiPicklist
                | Combobox
                | Email
                | Phone
                | Url
                | EncryptedString
        )
    }

    /// Numeric types: compared with unquoted numbers.
    pub fn is_numeric(self) -> bool {
        use FieldType::*;
        matches!(self, Int | Long | Double | Currency | Percent)
    }
}

/// One field of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMeta {
    /// API name.
    pub name: String,
    /// Type.
    pub field_type: FieldType,
    /// For lookups: the relationship name used in paths (`Owner`, `Invoice__r`).
    pub relationship_name: Option<String>,
    /// For lookups: the objects it may point to (several when polymorphic).
    pub reference_to: Vec<String>,
}

impl FieldMeta {
    /// A non-lookup field.
    pub fn new(name: &str, field_type: FieldType) -> Self {
        FieldMeta {
            name: name.to_owned(),
            field_type,
            relationship_name: None,
            reference_to: Vec::new(),
        }
    }

    /// A lookup field (`OwnerId`, relationship `Owner`, to `User`).
    pub fn lookup(name: &str, relationship_name: &str, reference_to: &[&str]) -> Self {
        FieldMeta {
            name: name.to_owned(),
            field_type: FieldType::Reference,
            relationship_name: Some(relationship_name.to_owned()),
            reference_to: reference_to.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// A parent-to-child relationship (`Contacts` on Account).
#[derive(Debug, Clone, PartialEq)]
pub struct ChildRelationship {
    /// The name used in subqueries (`Contacts`).
    pub relationship_name: String,
    /// The child object (`Contact`).
    pub child_object: String,
    /// The child's lookup field (`AccountId`).
    pub field: String,
}

/// An object's describe, as far as the checker needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectMeta {
    /// API name.
    pub name: String,
    /// Fields.
    pub fields: Vec<FieldMeta>,
    /// Parent-to-child relationships.
    pub child_relationships: Vec<ChildRelationship>,
}

impl ObjectMeta {
    /// An object with fields and no child relationships.
    pub fn new(name: &str, fields: Vec<FieldMeta>) -> Self {
        ObjectMeta {
            name: name.to_owned(),
            fields,
            child_relationships: Vec::new(),
        }
    }

    /// A field by API name, ignoring case.
    pub fn field(&self, name: &str) -> Option<&FieldMeta> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// A lookup by relationship name, ignoring case.
    pub fn relationship(&self, name: &str) -> Option<&FieldMeta> {
        self.fields.iter().find(|f| {
            f.relationship_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(name))
        })
    }

    /// A child relationship by name, ignoring case.
    pub fn child_relationship(&self, name: &str) -> Option<&ChildRelationship> {
        self.child_relationships
            .iter()
            .find(|c| c.relationship_name.eq_ignore_ascii_case(name))
    }
}

/// Where the checker finds objects; the caller implements it over its describes.
pub trait Metadata {
    /// An object by API name, ignoring case; `None` if the org has no such object.
    fn object(&self, name: &str) -> Option<&ObjectMeta>;
}

impl Metadata for [ObjectMeta] {
    fn object(&self, name: &str) -> Option<&ObjectMeta> {
        self.iter().find(|o| o.name.eq_ignore_ascii_case(name))
    }
}

impl Metadata for Vec<ObjectMeta> {
    fn object(&self, name: &str) -> Option<&ObjectMeta> {
        self.as_slice().object(name)
    }
}

//! The crate's error type.

/// What went wrong in the emulator's library API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The org has no object of this name.
    #[error(
        "the emulated org has no object '{0}'; objects are Account, Contact, Opportunity, Lead, Case, User and Invoice__c"
    )]
    UnknownObject(String),
    /// The object has no field of this name.
    #[error("no field '{field}' on {object}; see its describe for the field names")]
    UnknownField {
        /// Object API name.
        object: String,
        /// Field name as given.
        field: String,
    },
    /// A field that cannot be set on create/update (system, formula or auto-number field).
    #[error("field {object}.{field} is not writable")]
    FieldNotWritable {
        /// Object API name.
        object: String,
        /// Field API name.
        field: String,
    },
    /// A value of the wrong type for a field.
    #[error("value {value} does not fit field {object}.{field}")]
    BadFieldValue {
        /// Object API name.
        object: String,
        /// Field API name.
        field: String,
        /// The value given, debug-printed.
        value: String,
    },
    /// A required field was not given on create.
    #[error("required field {object}.{field} is missing")]
    RequiredFieldMissing {
        /// Object API name.
        object: String,
        /// Field API name.
        field: String,
    },
    /// Not an id of this object.
    #[error("'{id}' is not an id of a {object} record")]
    MalformedId {
        /// Object API name.
        object: String,
        /// The id as given.
        id: String,
    },
    /// No record with this id (or it was hard-deleted).
    #[error("no {object} record with id {id}")]
    RecordNotFound {
        /// Object API name.
        object: String,
        /// The id as given.
        id: String,
    },
    /// The record is in the recycle bin.
    #[error("record {id} is deleted")]
    EntityIsDeleted {
        /// The record id.
        id: String,
    },
    /// Undelete of a record that is not in the recycle bin.
    #[error("record {id} is not in the recycle bin")]
    NotInRecycleBin {
        /// The record id.
        id: String,
    },
    /// The object has no recycle bin (User).
    #[error("{object} records cannot be deleted")]
    NotDeletable {
        /// Object API name.
        object: String,
    },
    /// Bad builder settings.
    #[error("invalid emulator setting: {0}")]
    Config(String),
    /// Binding or serving a socket failed.
    #[error("cannot listen on {addr}: {cause}")]
    Listen {
        /// The address.
        addr: String,
        /// The I/O error (its text is in the message: not a `source()`).
        cause: std::io::Error,
    },
    /// Making the self-signed certificate or the TLS listener failed.
    #[error("TLS setup failed: {0}")]
    Tls(String),
}

impl Error {
    /// Whether retrying the same call could succeed. Nothing here is transient: every variant
    /// is a wrong argument or a wrong state, except a listen failure (port briefly in use).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Listen { .. })
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The syntax tree of a SOQL `SELECT` statement.
//!
//! Every node that can be the subject of an error carries a [`Span`]; spans
//! never take part in equality. `Display` on [`Query`] and [`Expr`] prints
//! normalized SOQL (see `print.rs`).

use crate::literal::Literal;
use crate::span::Span;

/// A name as written: an object, field, relationship, alias or keyword argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    // Private so every name that prints was validated or parsed: a name can
    // never smuggle query text into printed SOQL.
    name: String,
    /// Where it was written.
    pub span: Span,
}

impl Ident {
    /// A name built in code. Returns `None` unless it is a valid API name
    /// (`[A-Za-z][A-Za-z0-9_]*`), so it cannot change a printed query's structure.
    pub fn new(name: &str) -> Option<Ident> {
        is_api_name(name).then(|| Ident {
            name: name.to_owned(),
            span: Span::NONE,
        })
    }

    pub(crate) fn parsed(name: &str, span: Span) -> Ident {
        Ident {
            name: name.to_owned(),
            span,
        }
    }

    /// The name, with the case it was written in.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Compares with `other`, ignoring ASCII case as the org does.
    pub fn is(&self, other: &str) -> bool {
        self.name.eq_ignore_ascii_case(other)
    }
}

pub(crate) fn is_api_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A dotted field path: `Name`, `Account.Owner.Name`, or `a.Name` with an object alias.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPath {
    /// The segments, first to last; never empty.
    pub segments: Vec<Ident>,
    /// Where the whole path was written.
    pub span: Span,
}

impl FieldPath {
    /// Parses `Account.Owner.Name` in code; `None` unless every segment is a valid API name.
    pub fn new(path: &str) -> Option<FieldPath> {
        let segments = path
            .split('.')
            .map(Ident::new)
            .collect::<Option<Vec<_>>>()?;
        Some(FieldPath {
            segments,
            span: Span::NONE,
        })
    }

    /// The last segment: the field itself.
    pub fn field(&self) -> &Ident {
        // Invariant: the parser and `new` never build an empty path.
        &self.segments[self.segments.len() - 1]
    }

    /// The segment names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().map(Ident::name)
    }
}

/// A whole `SELECT` statement, or a parent-to-child / semi-join subquery.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The select list, in order.
    pub select: Vec<SelectItem>,
    /// The `FROM` object (or child relationship, in a subquery).
    pub from: From,
    /// `USING SCOPE scope`.
    pub using_scope: Option<Ident>,
    /// The `WHERE` condition.
    pub where_clause: Option<Expr>,
    /// The `WITH` clause.
    pub with: Option<With>,
    /// `GROUP BY`, `GROUP BY ROLLUP(..)` or `GROUP BY CUBE(..)`.
    pub group_by: Option<GroupBy>,
    /// The `HAVING` condition.
    pub having: Option<Expr>,
    /// `ORDER BY` items, in order.
    pub order_by: Vec<OrderBy>,
    /// `LIMIT n`.
    pub limit: Option<u64>,
    /// `OFFSET n`.
    pub offset: Option<u64>,
    /// `FOR VIEW`, `FOR REFERENCE` or `FOR UPDATE`.
    pub for_clause: Option<ForClause>,
    /// `UPDATE TRACKING` or `UPDATE VIEWSTAT`.
    pub update: Option<UpdateClause>,
    /// `ALL ROWS` (Apex): include deleted and archived rows.
    pub all_rows: bool,
    /// The whole statement.
    pub span: Span,
}

/// `FROM Object [alias] [, path [alias] ..]`.
#[derive(Debug, Clone, PartialEq)]
pub struct From {
    /// Object API name (or child relationship name in a subquery).
    pub object: Ident,
    /// In a subquery written `FROM Account.Contacts` or `FROM a.Contacts`: the outer
    /// object's name or alias before the child relationship.
    pub parent: Option<Ident>,
    /// Optional alias (`FROM Account a`).
    pub alias: Option<Ident>,
    /// Relationship aliases after the object, in order: `FROM Contact c, c.Account a`.
    pub relationships: Vec<RelationshipAlias>,
}

impl From {
    /// `FROM object`, without aliases.
    pub fn object(object: Ident) -> From {
        From {
            object,
            parent: None,
            alias: None,
            relationships: Vec::new(),
        }
    }
}

/// A relationship alias in the `FROM` list: `c.Account a` names `Contact.Account` as `a`.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationshipAlias {
    /// The relationship path; its first segment is the object, its alias, or an earlier
    /// relationship alias.
    pub path: FieldPath,
    /// The alias, when given.
    pub alias: Option<Ident>,
}

/// One item of the select list.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// A field path or function call, with an optional alias.
    Field(SelectField),
    /// `FIELDS(ALL|STANDARD|CUSTOM)`.
    Fields(FieldsKind, Span),
    /// A parent-to-child subquery `(SELECT .. FROM Contacts)`.
    Subquery(Box<Query>),
    /// `TYPEOF What WHEN Account THEN .. ELSE .. END`.
    TypeOf(TypeOf),
}

/// A selected field or function call.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectField {
    /// What is selected.
    pub expr: FieldExpr,
    /// `AS`-less alias (`COUNT(Id) total`).
    pub alias: Option<Ident>,
}

/// The argument of `FIELDS(..)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldsKind {
    /// `FIELDS(ALL)`.
    All,
    /// `FIELDS(STANDARD)`.
    Standard,
    /// `FIELDS(CUSTOM)`.
    Custom,
}

/// `TYPEOF field WHEN Type THEN fields .. [ELSE fields] END`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeOf {
    /// The polymorphic relationship (`What`, `Owner`).
    pub field: Ident,
    /// `WHEN Type THEN fields`, in order; never empty.
    pub when: Vec<TypeOfWhen>,
    /// `ELSE fields`.
    pub otherwise: Option<Vec<FieldPath>>,
    /// The whole clause.
    pub span: Span,
}

/// One `WHEN Type THEN fields` branch.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeOfWhen {
    /// The object type.
    pub object: Ident,
    /// Fields selected for it.
    pub fields: Vec<FieldPath>,
}

/// A field path or a function applied to fields: the left-hand side of a
/// condition, a selected item, a grouping or ordering key.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldExpr {
    /// A field path.
    Path(FieldPath),
    /// A function call.
    Call(FunctionCall),
}

impl FieldExpr {
    /// Where it was written.
    pub fn span(&self) -> Span {
        match self {
            FieldExpr::Path(p) => p.span,
            FieldExpr::Call(c) => c.span,
        }
    }

    /// The innermost field path, if any (`DAY_ONLY(convertTimezone(CreatedDate))` → `CreatedDate`).
    pub fn path(&self) -> Option<&FieldPath> {
        match self {
            FieldExpr::Path(p) => Some(p),
            FieldExpr::Call(c) => c.args.iter().find_map(|a| match a {
                FunctionArg::Field(f) => f.path(),
                FunctionArg::Literal(_) => None,
            }),
        }
    }
}

impl std::convert::From<FieldPath> for FieldExpr {
    fn from(path: FieldPath) -> Self {
        FieldExpr::Path(path)
    }
}

/// `NAME(args)`.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCall {
    /// Which function.
    pub function: Function,
    /// Arguments; `COUNT()` has none.
    pub args: Vec<FunctionArg>,
    /// The whole call.
    pub span: Span,
}

/// A function argument.
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionArg {
    /// A field or nested call.
    Field(FieldExpr),
    /// A literal (`GEOLOCATION(37.7, -122.4)`, `DISTANCE(.., 'mi')`).
    Literal(Literal),
}

macro_rules! functions {
    ($($(#[$doc:meta])* $variant:ident = $text:literal / $kind:ident),* $(,)?) => {
        /// A SOQL function.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Function {
            $($(#[$doc])* $variant,)*
        }

        impl Function {
            /// Every function, for generators and docs.
            pub const ALL: &'static [Function] = &[$(Function::$variant),*];

            /// The canonical spelling.
            pub fn name(self) -> &'static str {
                match self { $(Function::$variant => $text,)* }
            }

            /// What kind of function it is.
            pub fn kind(self) -> FunctionKind {
                match self { $(Function::$variant => FunctionKind::$kind,)* }
            }

            /// Looks up a name, ignoring case.
            pub fn from_name(name: &str) -> Option<Function> {
                $(if name.eq_ignore_ascii_case($text) { return Some(Function::$variant); })*
                None
            }
        }
    };
}

functions! {
    /// `AVG(field)`.
    Avg = "AVG" / Aggregate,
    /// `COUNT()` or `COUNT(field)`.
    Count = "COUNT" / Aggregate,
    /// `COUNT_DISTINCT(field)`.
    CountDistinct = "COUNT_DISTINCT" / Aggregate,
    /// `MIN(field)`.
    Min = "MIN" / Aggregate,
    /// `MAX(field)`.
    Max = "MAX" / Aggregate,
    /// `SUM(field)`.
    Sum = "SUM" / Aggregate,
    /// `GROUPING(field)` with ROLLUP/CUBE.
    Grouping = "GROUPING" / Aggregate,
    /// `CALENDAR_MONTH(date)`.
    CalendarMonth = "CALENDAR_MONTH" / Date,
    /// `CALENDAR_QUARTER(date)`.
    CalendarQuarter = "CALENDAR_QUARTER" / Date,
    /// `CALENDAR_YEAR(date)`.
    CalendarYear = "CALENDAR_YEAR" / Date,
    /// `DAY_IN_MONTH(date)`.
    DayInMonth = "DAY_IN_MONTH" / Date,
    /// `DAY_IN_WEEK(date)`: 1 = Sunday.
    DayInWeek = "DAY_IN_WEEK" / Date,
    /// `DAY_IN_YEAR(date)`.
    DayInYear = "DAY_IN_YEAR" / Date,
    /// `DAY_ONLY(datetime)`.
    DayOnly = "DAY_ONLY" / Date,
    /// `FISCAL_MONTH(date)`.
    FiscalMonth = "FISCAL_MONTH" / Date,
    /// `FISCAL_QUARTER(date)`.
    FiscalQuarter = "FISCAL_QUARTER" / Date,
    /// `FISCAL_YEAR(date)`.
    FiscalYear = "FISCAL_YEAR" / Date,
    /// `HOUR_IN_DAY(datetime)`.
    HourInDay = "HOUR_IN_DAY" / Date,
    /// `WEEK_IN_MONTH(date)`.
    WeekInMonth = "WEEK_IN_MONTH" / Date,
    /// `WEEK_IN_YEAR(date)`.
    WeekInYear = "WEEK_IN_YEAR" / Date,
    /// `toLabel(picklist)`.
    ToLabel = "toLabel" / Transform,
    /// `convertCurrency(currency)`.
    ConvertCurrency = "convertCurrency" / Transform,
    /// `convertTimezone(datetime)`, only inside date functions.
    ConvertTimezone = "convertTimezone" / Transform,
    /// `FORMAT(field)`.
    Format = "FORMAT" / Transform,
    /// `DISTANCE(location, GEOLOCATION(lat, lon), 'mi'|'km')`.
    Distance = "DISTANCE" / Location,
    /// `GEOLOCATION(lat, lon)`.
    Geolocation = "GEOLOCATION" / Location,
}

impl Function {
    /// The fewest and most arguments the function takes.
    pub fn arity(self) -> (usize, usize) {
        match self {
            Function::Count => (0, 1),
            Function::Geolocation => (2, 2),
            Function::Distance => (3, 3),
            _ => (1, 1),
        }
    }
}

/// Families of functions, which decide where a function may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunctionKind {
    /// Aggregates: make the query an aggregate query.
    Aggregate,
    /// Date functions: usable in WHERE, GROUP BY and SELECT.
    Date,
    /// Value transformations (`toLabel`, `FORMAT`, ...).
    Transform,
    /// Geolocation functions.
    Location,
}

/// A condition of `WHERE` or `HAVING`.
///
/// `And`/`Or` hold two or more operands as written at one level; a
/// parenthesized group is a nested node. SOQL rejects AND and OR mixed at
/// one level, so the tree needs no precedence rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// All operands hold.
    And(Vec<Expr>),
    /// Any operand holds.
    Or(Vec<Expr>),
    /// `NOT cond`.
    Not(Box<Expr>),
    /// `lhs op value` (including `LIKE`).
    Compare(Comparison),
    /// `lhs [NOT] IN (..)`.
    In(InCondition),
    /// `lhs INCLUDES|EXCLUDES (..)`.
    Includes(IncludesCondition),
}

/// `lhs op value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Field or function of a field.
    pub lhs: FieldExpr,
    /// The operator.
    pub op: CompareOp,
    /// The value. For `LIKE` a string in pattern syntax.
    pub value: Literal,
    /// Where the value was written.
    pub value_span: Span,
    /// The whole condition.
    pub span: Span,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `=`.
    Eq,
    /// `!=` (also written `<>`).
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `LIKE`.
    Like,
}

impl CompareOp {
    /// The operator as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Like => "LIKE",
        }
    }
}

/// `lhs [NOT] IN (values | subquery)`.
#[derive(Debug, Clone, PartialEq)]
pub struct InCondition {
    /// Field or function of a field.
    pub lhs: FieldExpr,
    /// `NOT IN`.
    pub negated: bool,
    /// The list or subquery.
    pub values: InValues,
    /// The whole condition.
    pub span: Span,
}

/// What an `IN` tests against.
#[derive(Debug, Clone, PartialEq)]
pub enum InValues {
    /// A literal list; never empty.
    List(Vec<Literal>),
    /// A semi-join (`IN`) or anti-join (`NOT IN`) subquery.
    Subquery(Box<Query>),
}

/// `lhs INCLUDES|EXCLUDES ('a;b', 'c')` on a multi-select picklist.
#[derive(Debug, Clone, PartialEq)]
pub struct IncludesCondition {
    /// The multi-select picklist field.
    pub lhs: FieldExpr,
    /// `EXCLUDES` rather than `INCLUDES`.
    pub excludes: bool,
    /// Values; `'a;b'` means a and b together. Never empty.
    pub values: Vec<Literal>,
    /// The whole condition.
    pub span: Span,
}

/// The `WITH` clause.
#[derive(Debug, Clone, PartialEq)]
pub enum With {
    /// `WITH SECURITY_ENFORCED`.
    SecurityEnforced,
    /// `WITH USER_MODE`.
    UserMode,
    /// `WITH SYSTEM_MODE`.
    SystemMode,
    /// `WITH DATA CATEGORY ..`; never empty.
    DataCategory(Vec<DataCategoryFilter>),
}

/// `Group__c AT|ABOVE|BELOW|ABOVE_OR_BELOW (cat, ..)`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataCategoryFilter {
    /// The category group.
    pub group: Ident,
    /// The selector.
    pub selector: CategorySelector,
    /// Categories; printed in parentheses when more than one.
    pub categories: Vec<Ident>,
}

/// Data category selectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategorySelector {
    /// `AT`.
    At,
    /// `ABOVE`.
    Above,
    /// `BELOW`.
    Below,
    /// `ABOVE_OR_BELOW`.
    AboveOrBelow,
}

/// `GROUP BY` keys.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupBy {
    /// Plain, `ROLLUP` or `CUBE`.
    pub kind: GroupingKind,
    /// Keys; never empty.
    pub keys: Vec<FieldExpr>,
}

/// How `GROUP BY` groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupingKind {
    /// `GROUP BY a, b`.
    Plain,
    /// `GROUP BY ROLLUP(a, b)`.
    Rollup,
    /// `GROUP BY CUBE(a, b)`.
    Cube,
}

/// One `ORDER BY` key.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    /// The key.
    pub expr: FieldExpr,
    /// `ASC`/`DESC` when written; absent means ascending.
    pub direction: Option<Direction>,
    /// `NULLS FIRST|LAST` when written; absent means first when ascending, last when descending.
    pub nulls: Option<NullsOrder>,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `ASC`.
    Asc,
    /// `DESC`.
    Desc,
}

/// Where nulls sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullsOrder {
    /// `NULLS FIRST`.
    First,
    /// `NULLS LAST`.
    Last,
}

/// `FOR VIEW`, `FOR REFERENCE`, `FOR UPDATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForClause {
    /// `FOR VIEW`.
    View,
    /// `FOR REFERENCE`.
    Reference,
    /// `FOR UPDATE`.
    Update,
}

/// `UPDATE TRACKING` or `UPDATE VIEWSTAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateClause {
    /// `UPDATE TRACKING`.
    Tracking,
    /// `UPDATE VIEWSTAT`.
    Viewstat,
}

impl Query {
    /// True when the select list or `GROUP BY` makes this an aggregate query.
    pub fn is_aggregate(&self) -> bool {
        self.group_by.is_some()
            || self.select.iter().any(|item| {
                matches!(item, SelectItem::Field(SelectField { expr: FieldExpr::Call(c), .. })
                    if c.function.kind() == FunctionKind::Aggregate)
            })
    }

    /// The selected field paths, in order (not those of subqueries or `TYPEOF`).
    pub fn selected_paths(&self) -> impl Iterator<Item = &FieldPath> {
        self.select.iter().filter_map(|item| match item {
            SelectItem::Field(f) => f.expr.path(),
            _ => None,
        })
    }
}

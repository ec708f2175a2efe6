//! Salesforce name rules for SQL: names resolve case-insensitively, results keep
//! Salesforce's spelling.
//!
//! DataFusion lower-cases unquoted identifiers and then matches them exactly
//! (`Industry` becomes `industry`, which no field of `Account` is called), and it offers
//! no hook for case-insensitive column resolution (`IdentNormalizer` is a plain on/off
//! switch). So before planning we rewrite the parsed statement: every unquoted
//! identifier whose lower-case form equals the lower-case form of a known catalog,
//! schema, table or column name becomes that name, quoted. SQL already treats
//! `industry`, `Industry` and `INDUSTRY` as one name, so mapping that whole class to one
//! spelling keeps the query's meaning; quoted identifiers are left exactly as written.

use std::collections::HashMap;
use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, Ident, JoinConstraint, JoinOperator, ObjectName, ObjectNamePart, Query,
    Select, SelectItem, SelectItemQualifiedWildcardKind, TableAlias, TableFactor, VisitMut,
    VisitorMut,
};

/// Known names, keyed by their lower-case form.
///
/// Two different spellings with the same lower-case form make that form ambiguous; it
/// is then left alone (DataFusion's own rules apply).
#[derive(Debug, Default, Clone)]
pub struct NameMap {
    names: HashMap<String, Option<String>>,
}

impl NameMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one canonical spelling.
    pub fn insert(&mut self, canonical: &str) {
        let key = canonical.to_lowercase();
        match self.names.get_mut(&key) {
            None => {
                self.names.insert(key, Some(canonical.to_owned()));
            }
            Some(Some(existing)) if existing != canonical => {
                // `Name` and `NAME` both exist: no single answer, so do not guess.
                self.names.insert(key, None);
            }
            Some(_) => {}
        }
    }

    /// The canonical spelling of `word`, if exactly one is known.
    pub fn canonical(&self, word: &str) -> Option<&str> {
        self.names.get(&word.to_lowercase())?.as_deref()
    }

    fn fix(&self, ident: &mut Ident) {
        if ident.quote_style.is_some() {
            return;
        }
        if let Some(canonical) = self.canonical(&ident.value) {
            ident.value = canonical.to_owned();
            ident.quote_style = Some('"');
        }
    }

    fn fix_object_name(&self, name: &mut ObjectName) {
        for part in &mut name.0 {
            if let ObjectNamePart::Identifier(ident) = part {
                self.fix(ident);
            }
        }
    }

    fn fix_alias(&self, alias: &mut Option<TableAlias>) {
        if let Some(alias) = alias {
            self.fix(&mut alias.name);
            for column in &mut alias.columns {
                self.fix(&mut column.name);
            }
        }
    }
}

/// Rewrites `statement` in place so that names known to `names` resolve whatever
/// their case.
pub fn canonicalize_statement(statement: &mut DFStatement, names: &NameMap) {
    let mut visitor = Canonicalizer { names };
    match statement {
        DFStatement::Statement(inner) => {
            let _ = inner.visit(&mut visitor);
        }
        DFStatement::Explain(explain) => canonicalize_statement(&mut explain.statement, names),
        DFStatement::CopyTo(copy) => match &mut copy.source {
            CopyToSource::Relation(name) => names.fix_object_name(name),
            CopyToSource::Query(query) => {
                let _ = query.visit(&mut visitor);
            }
        },
        DFStatement::CreateExternalTable(_) | DFStatement::Reset(_) => {}
    }
}

struct Canonicalizer<'a> {
    names: &'a NameMap,
}

impl VisitorMut for Canonicalizer<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let Some(with) = &mut query.with {
            for cte in &mut with.cte_tables {
                self.names.fix(&mut cte.alias.name);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        for item in &mut select.projection {
            match item {
                SelectItem::ExprWithAlias { alias, .. } => self.names.fix(alias),
                SelectItem::ExprWithAliases { aliases, .. } => {
                    aliases.iter_mut().for_each(|a| self.names.fix(a));
                }
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(n),
                    _,
                ) => {
                    self.names.fix_object_name(n);
                }
                _ => {}
            }
        }
        for join in select.from.iter_mut().flat_map(|t| t.joins.iter_mut()) {
            if let Some(JoinConstraint::Using(columns)) = constraint(&mut join.join_operator) {
                columns
                    .iter_mut()
                    .for_each(|c| self.names.fix_object_name(c));
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<()> {
        self.names.fix_object_name(relation);
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        match factor {
            TableFactor::Table { alias, .. } | TableFactor::Derived { alias, .. } => {
                self.names.fix_alias(alias);
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut SqlExpr) -> ControlFlow<()> {
        match expr {
            SqlExpr::Identifier(ident) => self.names.fix(ident),
            SqlExpr::CompoundIdentifier(parts) => parts.iter_mut().for_each(|p| self.names.fix(p)),
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn constraint(operator: &mut JoinOperator) -> Option<&mut JoinConstraint> {
    use JoinOperator::*;
    match operator {
        Join(c) | Inner(c) | Left(c) | LeftOuter(c) | Right(c) | RightOuter(c) | FullOuter(c)
        | CrossJoin(c) | Semi(c) | LeftSemi(c) | RightSemi(c) | Anti(c) | LeftAnti(c)
        | RightAnti(c) => Some(c),
        AsOf { constraint, .. } => Some(constraint),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::parser::DFParser;

    use super::*;

    fn rewrite(sql: &str, known: &[&str]) -> String {
        let mut names = NameMap::new();
        known.iter().for_each(|n| names.insert(n));
        let mut statements = DFParser::parse_sql(sql).expect("test SQL parses");
        let mut statement = statements.pop_front().expect("one statement");
        canonicalize_statement(&mut statement, &names);
        statement.to_string()
    }

    #[test]
    fn unquoted_names_take_the_salesforce_spelling() {
        assert_eq!(
            rewrite(
                "SELECT name, ANNUALREVENUE FROM sales_eu.account WHERE industry = 'Energy' ORDER BY AnnualRevenue DESC LIMIT 10",
                &["sales_eu", "Account", "Name", "AnnualRevenue", "Industry"],
            ),
            "SELECT \"Name\", \"AnnualRevenue\" FROM \"sales_eu\".\"Account\" WHERE \"Industry\" = 'Energy' ORDER BY \"AnnualRevenue\" DESC LIMIT 10"
        );
    }

    #[test]
    fn quoted_names_strings_functions_and_unknown_names_are_left_alone() {
        assert_eq!(
            rewrite(
                "SELECT \"name\", COUNT(*) AS n, upper(x) FROM account a WHERE a.name = 'name'",
                &["Account", "Name", "Count", "Upper"],
            ),
            "SELECT \"name\", COUNT(*) AS n, upper(x) FROM \"Account\" a WHERE a.\"Name\" = 'name'"
        );
    }

    #[test]
    fn aliases_follow_the_same_spelling_so_order_by_still_finds_them() {
        assert_eq!(
            rewrite(
                "SELECT stagename, sum(amount) AS amount FROM opportunity GROUP BY stagename ORDER BY amount",
                &["Opportunity", "StageName", "Amount"],
            ),
            "SELECT \"StageName\", sum(\"Amount\") AS \"Amount\" FROM \"Opportunity\" GROUP BY \"StageName\" ORDER BY \"Amount\""
        );
    }

    #[test]
    fn join_using_columns_are_rewritten() {
        assert_eq!(
            rewrite(
                "SELECT * FROM contact JOIN opportunity USING (accountid)",
                &["Contact", "Opportunity", "AccountId"]
            ),
            "SELECT * FROM \"Contact\" JOIN \"Opportunity\" USING(\"AccountId\")"
        );
    }

    #[test]
    fn ambiguous_spellings_are_not_guessed() {
        let mut names = NameMap::new();
        names.insert("Name");
        names.insert("NAME");
        names.insert("Name");
        assert_eq!(names.canonical("name"), None);
    }

    #[test]
    fn explain_and_subqueries_are_rewritten() {
        assert_eq!(
            rewrite(
                "EXPLAIN SELECT id FROM contact WHERE accountid IN (SELECT id FROM account)",
                &["Account", "Contact", "Id", "AccountId"],
            ),
            "EXPLAIN SELECT \"Id\" FROM \"Contact\" WHERE \"AccountId\" IN (SELECT \"Id\" FROM \"Account\")"
        );
    }
}

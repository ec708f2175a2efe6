//! Planning errors a person can act on.

use sfdf_connector::provider::sql;

use crate::support::{context, org};

async fn error_of(ctx: &datafusion::prelude::SessionContext, text: &str) -> String {
    match sql(ctx, text).await {
        Ok(_) => panic!("{text}: planned, but should not"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_table_gets_a_did_you_mean_under_the_schema_written() {
    let org = org(20).await;
    let ctx = context(&org).await;
    let text = error_of(&ctx, "SELECT Id FROM acount").await;
    assert!(text.contains("no table `acount` in `demo`"), "{text}");
    assert!(text.contains("did you mean `Account`?"), "{text}");
    assert!(text.contains("Contact"), "the tables are listed: {text}");
    assert!(!text.contains("datafusion.public"), "{text}");

    let text = error_of(&ctx, "SELECT Id FROM demo.opportunty").await;
    assert!(
        text.contains("no table `demo.opportunty` in `demo`"),
        "{text}"
    );
    assert!(text.contains("did you mean `Opportunity`?"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compound_field_says_to_use_its_parts_and_a_typo_gets_the_column() {
    let org = org(20).await;
    let ctx = context(&org).await;
    let text = error_of(&ctx, "SELECT BillingAddress FROM Account").await;
    assert!(
        text.contains("`BillingAddress` of Account is a compound field"),
        "{text}"
    );
    assert!(
        text.contains("use its parts") && text.contains("BillingCity"),
        "{text}"
    );

    let text = error_of(&ctx, "SELECT Nmae FROM Account").await;
    assert!(text.contains("did you mean `Name`?"), "{text}");
}

//! Extraction with each API type, compared with the org's own data.

use futures::StreamExt;
use sfdf_connector::{ApiType, PlanOptions, Session, SoqlQuery};

use crate::common::*;

#[tokio::test]
async fn all_three_api_types_give_identical_batches_equal_to_the_org() {
    let org = org(2_500, 600).await;
    let mut results = Vec::new();
    for api in [ApiType::BulkV2, ApiType::Soap, ApiType::Rest] {
        for object in ["Account", "Contact"] {
            let session = Session::connect(&connection(&org, api)).await.unwrap();
            let query = session.query_for(object).await.unwrap();
            let plan = session.plan(&query).await.unwrap();
            assert_eq!(plan.api_type(), api);
            let batches = collect(&plan).await;
            let all = sorted_by_id(&concat(&batches, &plan));
            assert_matches_org(&all, &org_rows(&org, object));
            results.push((api, object, all));
        }
    }
    for object in ["Account", "Contact"] {
        let per_api: Vec<_> = results.iter().filter(|r| r.1 == object).collect();
        assert_eq!(per_api[0].2, per_api[1].2, "{object}: bulkv2 vs soap");
        assert_eq!(per_api[0].2, per_api[2].2, "{object}: bulkv2 vs rest");
    }
}

#[tokio::test]
async fn bulk_pages_are_spread_over_partitions_and_the_job_is_deleted() {
    let org = org(3_000, 400).await;
    let session = Session::connect(&connection(&org, ApiType::BulkV2))
        .await
        .unwrap();
    let query = session
        .query_for("Account")
        .await
        .unwrap()
        .columns(["Id", "Name"]);
    let options = PlanOptions {
        partitions: 3,
        ..PlanOptions::default()
    };
    let plan = session.plan_with(&query, &options).await.unwrap();
    assert_eq!(plan.partition_count(), 3);
    assert!(
        org.requests()
            .iter()
            .all(|r| r.method != "POST" || !r.path.ends_with("/jobs/query")),
        "planning runs no job"
    );
    // Partitions read concurrently, as DataFusion does.
    let streams: Vec<_> = (0..3).map(|i| plan.open(i).unwrap()).collect();
    let mut per_partition = Vec::new();
    let mut all = Vec::new();
    for s in streams {
        let batches: Vec<_> = s.map(|b| b.unwrap()).collect().await;
        per_partition.push(batches.iter().map(|b| b.num_rows()).sum::<usize>());
        all.extend(batches);
    }
    assert!(per_partition.iter().all(|n| *n > 0), "{per_partition:?}");
    assert_eq!(
        plan.total_rows(),
        Some(org_rows(&org, "Account").len() as u64)
    );
    let job = plan.job_id().unwrap().to_string();
    let creates = org
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/jobs/query"))
        .count();
    assert_eq!(creates, 1, "one job for all partitions");
    assert_matches_org(
        &sorted_by_id(&concat(&all, &plan)),
        &org_rows(&org, "Account"),
    );
    drop(plan);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        org.requests()
            .iter()
            .any(|r| r.method == "DELETE" && r.path.ends_with(&job)),
        "job {job} deleted after use"
    );
}

#[tokio::test]
async fn projection_filter_limit_and_sync_filter() {
    let org = org(1_000, 10_000).await;
    for api in [ApiType::BulkV2, ApiType::Rest, ApiType::Soap] {
        let conn = connection(&org, api);
        let session = Session::connect(&conn).await.unwrap();
        let filter = soql::parse_where("NumberOfEmployees > 500").unwrap();
        let query = SoqlQuery::new("account")
            .columns(["id", "NumberOfEmployees"])
            .and_filter(filter);
        let plan = session.plan(&query).await.unwrap();
        assert_eq!(
            plan.soql(),
            "SELECT Id, NumberOfEmployees FROM Account WHERE NumberOfEmployees > 500"
        );
        assert_eq!(plan.schema().field(0).name(), "Id");
        let got = concat(&collect(&plan).await, &plan);
        let expected: std::collections::HashMap<_, _> = org_rows(&org, "Account")
            .into_iter()
            .filter(|(_, r)| matches!(r.get("NumberOfEmployees"), Some(sfdf_emulator::Value::Int(n)) if *n > 500))
            .collect();
        assert!(!expected.is_empty());
        assert_matches_org(&got, &expected);

        let limited = session.plan(&query.clone().limit(Some(7))).await.unwrap();
        assert_eq!(
            concat(&collect(&limited).await, &limited).num_rows(),
            7,
            "{api}"
        );

        // No columns: row counts only (COUNT(*)).
        let count = session.plan(&SoqlQuery::new("Account")).await.unwrap();
        let batches = collect(&count).await;
        assert_eq!(
            batches.iter().map(|b| b.num_rows()).sum::<usize>(),
            org_rows(&org, "Account").len()
        );
        assert!(batches.iter().all(|b| b.num_columns() == 0));
    }
}

#[tokio::test]
async fn sync_filter_and_fields_from_the_connection_file() {
    let org = org(500, 10_000).await;
    let yaml = format!(
        "connection_name: e\ndeveloper_name: e\nclient_id: {}\nclient_secret: {}\ndomain_url: {}\napi_version: \"62.0\"\nobjects:\n  Account:\n    fields: [Id, Name, NumberOfEmployees]\n    filter: \"NumberOfEmployees < 100 OR Name LIKE 'A%'\"\n",
        org.client_id(),
        org.client_secret(),
        org.base_url()
    );
    let conn = sfdf_connector::Connection::from_yaml_str(&yaml).unwrap();
    let session = Session::connect(&conn).await.unwrap();
    let query = session.query_for("Account").await.unwrap();
    assert_eq!(query.columns, ["Id", "Name", "NumberOfEmployees"]);
    let plan = session.plan(&query).await.unwrap();
    assert!(
        plan.soql()
            .ends_with("WHERE NumberOfEmployees < 100 OR Name LIKE 'A%'"),
        "{}",
        plan.soql()
    );
    let got = concat(&collect(&plan).await, &plan);
    let expected: std::collections::HashMap<_, _> = org_rows(&org, "Account")
        .into_iter()
        .filter(|(_, r)| {
            matches!(r.get("NumberOfEmployees"), Some(sfdf_emulator::Value::Int(n)) if *n < 100)
                || matches!(r.get("Name"), Some(sfdf_emulator::Value::Text(t)) if t.to_lowercase().starts_with('a'))
        })
        .collect();
    assert_matches_org(&got, &expected);

    // A sync filter naming an unknown field fails before any job starts.
    let bad = yaml.replace("NumberOfEmployees < 100 OR Name LIKE 'A%'", "Nope__c = 1");
    let session = Session::connect(&sfdf_connector::Connection::from_yaml_str(&bad).unwrap())
        .await
        .unwrap();
    let query = session.query_for("Account").await.unwrap();
    let e = session.plan(&query).await.unwrap_err().to_string();
    assert!(e.contains("Nope__c"), "{e}");
}

#[tokio::test]
async fn deleted_rows_come_with_include_deleted() {
    let org = org(200, 10_000).await;
    let victim = org_rows(&org, "Account").into_keys().next().unwrap();
    org.delete("Account", &victim).unwrap();
    for api in [ApiType::BulkV2, ApiType::Rest, ApiType::Soap] {
        let session = Session::connect(&connection(&org, api)).await.unwrap();
        let query = SoqlQuery::new("Account").columns(["Id", "IsDeleted"]);
        let live = session.plan(&query).await.unwrap();
        let live = concat(&collect(&live).await, &live);
        let all = session
            .plan(&query.clone().include_deleted(true))
            .await
            .unwrap();
        let all = concat(&collect(&all).await, &all);
        assert!(all.num_rows() > live.num_rows(), "{api}");
        assert_eq!(live.num_rows(), org_rows(&org, "Account").len(), "{api}");
        let ids = datafusion::arrow::array::AsArray::as_string::<i32>(all.column(0));
        let row = (0..all.num_rows())
            .find(|i| ids.value(*i) == victim)
            .unwrap();
        assert_eq!(
            value_at(all.column(1).as_ref(), row),
            sfdf_emulator::Value::Bool(true)
        );
        let live_ids = datafusion::arrow::array::AsArray::as_string::<i32>(live.column(0));
        assert!(
            (0..live.num_rows()).all(|i| live_ids.value(i) != victim),
            "{api}"
        );
    }
}

#[tokio::test]
async fn dropping_the_streams_aborts_a_running_job() {
    let org = sfdf_emulator::EmulatedOrg::builder()
        .rows(100)
        .bulk_polls_in_progress(1_000)
        .start()
        .await
        .unwrap();
    let session = Session::connect(&connection(&org, ApiType::BulkV2))
        .await
        .unwrap();
    let plan = session
        .plan(&SoqlQuery::new("Account").columns(["Id"]))
        .await
        .unwrap();
    let mut stream = plan.open(0).unwrap();
    let pending = tokio::time::timeout(std::time::Duration::from_millis(300), stream.next()).await;
    assert!(pending.is_err(), "the job is still running");
    drop(stream);
    drop(plan);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let reqs = org.requests();
    assert!(
        reqs.iter()
            .any(|r| r.method == "PATCH" && r.path.contains("/jobs/query/")),
        "job aborted"
    );
    assert!(
        reqs.iter()
            .any(|r| r.method == "DELETE" && r.path.contains("/jobs/query/")),
        "job deleted"
    );
}

#[tokio::test]
async fn row_limit_stops_the_object() {
    let org = org(300, 100).await;
    for api in [ApiType::BulkV2, ApiType::Rest] {
        let conn = sfdf_connector::Connection::builder()
            .developer_name("lim")
            .domain_url(org.base_url())
            .client_credentials(org.client_id(), org.client_secret().into())
            .api_type(api)
            .limits(sfdf_connector::Limits {
                max_rows: 150,
                max_bytes: 1_000_000_000,
            })
            .build()
            .unwrap();
        let session = Session::connect(&conn).await.unwrap();
        let plan = session
            .plan(&SoqlQuery::new("Account").columns(["Id"]))
            .await
            .unwrap();
        let results: Vec<_> = plan.stream().collect().await;
        let err = results
            .iter()
            .find_map(|r| r.as_ref().err())
            .expect("limit error");
        let text = err.to_string();
        assert!(
            text.contains("150 rows") && text.contains("Account"),
            "{text}"
        );
        // The setting to raise is named, and a SQL query is not called a sync.
        assert!(
            text.contains("limits.max_rows") && !text.contains("sync"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn both_result_pages_shapes_and_the_locator_walk() {
    use sfdf_emulator::{EmulatedOrg, ResultPagesShape};
    let documented = EmulatedOrg::builder()
        .rows(2_000)
        .page_rows(300)
        .result_pages_shape(ResultPagesShape::Documented)
        .start()
        .await
        .unwrap();
    let observed = org(2_000, 300).await;
    for (org, version) in [
        (&documented, "62.0"),
        (&observed, "62.0"),
        (&observed, "57.0"),
    ] {
        org.clear_requests();
        let conn = sfdf_connector::Connection::builder()
            .developer_name("p")
            .domain_url(org.base_url())
            .client_credentials(org.client_id(), org.client_secret().into())
            .api_version(version)
            .build()
            .unwrap();
        let session = Session::connect(&conn).await.unwrap();
        let plan = session
            .plan_with(
                &SoqlQuery::new("Account").columns(["Id", "Name"]),
                &PlanOptions {
                    partitions: 3,
                    ..PlanOptions::default()
                },
            )
            .await
            .unwrap();
        let all = concat(&collect(&plan).await, &plan);
        assert_matches_org(&sorted_by_id(&all), &org_rows(org, "Account"));
        let listed = org
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/resultPages"));
        // Below v58.0 there is no resultPages: one partition walks the locators.
        assert_eq!(listed, version != "57.0");
        org.clear_requests();
    }
}

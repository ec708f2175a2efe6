//! A Bulk API 2.0 query job run by a bare HTTP client, and its result pages downloaded with
//! nothing else in the way: the floor the benches hold sfdf's extraction and sync against.

use futures::StreamExt;
use serde_json::Value as Json;

/// The API version the plain client speaks.
pub const VERSION: &str = "62.0";

/// A completed Bulk query job and the links of its result pages.
pub struct PlainJob {
    /// The HTTP client (gzip as asked).
    pub http: reqwest::Client,
    /// The access token.
    pub token: String,
    /// `<base>/services/data/v<VERSION>`.
    pub data: String,
    /// The job's id.
    pub job_id: String,
    /// Every result page's URL, in order.
    pub links: Vec<String>,
    /// The API calls made so far: token, job, polls, page lists.
    pub calls: u64,
}

impl PlainJob {
    /// Logs in with client credentials, creates a query job for `soql` (`None`: every Account
    /// column but the compound and base64 ones, from describe), polls until it completes (100
    /// ms, doubling to 1 s) and lists its result pages (both shapes in circulation:
    /// documented `resultPages[].resultUrl`, observed `resultChunks[].resultLink`).
    pub async fn run(base: &str, id: &str, secret: &str, gzip: bool, soql: Option<&str>) -> Self {
        let http = reqwest::Client::builder().gzip(gzip).build().unwrap();
        let token: Json = http
            .post(format!("{base}/services/oauth2/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut job = PlainJob {
            http,
            token: token["access_token"].as_str().unwrap().to_string(),
            data: format!("{base}/services/data/v{VERSION}"),
            job_id: String::new(),
            links: Vec::new(),
            calls: 1,
        };
        let soql = match soql {
            Some(s) => s.to_string(),
            None => {
                let describe = job.get_json("sobjects/Account/describe").await;
                let fields: Vec<&str> = describe["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|f| {
                        !matches!(f["type"].as_str(), Some("address" | "location" | "base64"))
                    })
                    .map(|f| f["name"].as_str().unwrap())
                    .collect();
                format!("SELECT {} FROM Account", fields.join(", "))
            }
        };
        let created: Json = job
            .http
            .post(format!("{}/jobs/query", job.data))
            .bearer_auth(&job.token)
            .json(&serde_json::json!({"operation": "query", "query": soql}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        job.calls += 1;
        job.job_id = created["id"].as_str().unwrap().to_string();
        let mut pause = std::time::Duration::from_millis(100);
        loop {
            let info = job.get_json(&format!("jobs/query/{}", job.job_id)).await;
            match info["state"].as_str() {
                Some("JobComplete") => break,
                Some("Failed" | "Aborted") => panic!("the job failed: {info}"),
                _ => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_secs(1));
                }
            }
        }
        let mut next = Some(format!("jobs/query/{}/resultPages", job.job_id));
        while let Some(path) = next.take() {
            let doc = job.get_json(&path).await;
            for (list, link) in [("resultPages", "resultUrl"), ("resultChunks", "resultLink")] {
                for page in doc[list].as_array().into_iter().flatten() {
                    let link = page[link].as_str().unwrap();
                    job.links.push(job.absolute(link));
                }
            }
            next = doc["nextRecordsUrl"]
                .as_str()
                .map(|u| job.relative(u).to_string());
        }
        job
    }

    /// Every page, `concurrency` at a time, each body read and dropped. Returns (rows, body
    /// bytes); each page is one API call more than [`PlainJob::calls`].
    pub async fn download(&self, concurrency: usize) -> (u64, u64) {
        futures::stream::iter(self.links.clone())
            .map(|url| {
                let request = self
                    .http
                    .get(url)
                    .bearer_auth(&self.token)
                    .header("Accept", "text/csv");
                async move {
                    let mut page = request.send().await.unwrap().error_for_status().unwrap();
                    let rows: u64 = page
                        .headers()
                        .get("Sforce-NumberOfRecords")
                        .and_then(|v| v.to_str().ok()?.parse().ok())
                        .unwrap_or(0);
                    let mut bytes = 0u64;
                    while let Some(chunk) = page.chunk().await.unwrap() {
                        bytes += chunk.len() as u64;
                    }
                    (rows, bytes)
                }
            })
            .buffer_unordered(concurrency)
            .fold((0, 0), |(r, b), (pr, pb)| async move { (r + pr, b + pb) })
            .await
    }

    /// Deletes the job (the org frees its results).
    pub async fn delete(&self) {
        let _ = self
            .http
            .delete(format!("{}/jobs/query/{}", self.data, self.job_id))
            .bearer_auth(&self.token)
            .send()
            .await;
    }

    async fn get_json(&mut self, path: &str) -> Json {
        self.calls += 1;
        self.http
            .get(format!("{}/{path}", self.data))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A page link as a URL: relative to the data path, or absolute from `/services/`.
    fn absolute(&self, link: &str) -> String {
        match link.find("/services/") {
            Some(0) => {
                let base = &self.data[..self.data.find("/services/").unwrap()];
                format!("{base}{link}")
            }
            _ => format!("{}/{}", self.data, self.relative(link)),
        }
    }

    /// A link relative to the data path (`jobs/...`), whatever form it came in.
    fn relative<'a>(&self, link: &'a str) -> &'a str {
        let link = link.trim_start_matches('/');
        match link.find("jobs/") {
            Some(i) => &link[i..],
            None => link,
        }
    }
}

// jsforce (unmodified) against the emulated org: OAuth client credentials, legacy SOAP
// login(), describe, a paged REST query, and a Bulk API 2.0 query. jsforce's bulk2.query
// mis-parses results of more than one page (an upstream bug), so the Bulk check reads
// a single page.
const jsforce = require("jsforce");

const [base, clientId, clientSecret, username, password] = process.argv.slice(2);
const version = "62.0";
let passed = 0;
let failed = 0;

function check(name, ok, detail) {
  if (ok) passed++; else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${!ok && detail !== undefined ? ": " + detail : ""}`);
}

async function main() {
  const conn = new jsforce.Connection({
    oauth2: { clientId, clientSecret, loginUrl: base },
    version,
  });
  const user = await conn.authorize({ grant_type: "client_credentials" });
  check("client credentials token", Boolean(conn.accessToken) && Boolean(user.organizationId), JSON.stringify(user));

  const desc = await conn.sobject("Account").describe();
  check("describe Account", desc.name === "Account" && desc.fields.length > 20, desc.fields.length);

  const soql = "SELECT Id, Name, Industry FROM Account";
  // A small batch size (Sforce-Query-Options) makes the org page the result.
  let page = await conn.query(soql, { headers: { "Sforce-Query-Options": "batchSize=200" } });
  const all = [...page.records];
  let pages = 1;
  while (!page.done) {
    page = await conn.queryMore(page.nextRecordsUrl);
    all.push(...page.records);
    pages++;
  }
  check("REST query pages with queryMore", pages > 1 && all.length === page.totalSize, `${pages} pages, ${all.length} of ${page.totalSize}`);
  const ids = new Set(all.map((r) => r.Id));
  check("paged REST query returns unique rows", all.length > 0 && ids.size === all.length, `${all.length} rows, ${ids.size} ids`);

  const count = await conn.query("SELECT COUNT() FROM Account");
  check("COUNT() agrees with the paged query", count.totalSize === all.length, `${count.totalSize} vs ${all.length}`);

  const few = all.slice(0, 50).map((r) => r.Id);
  const bulkSoql = `SELECT Id, Name, Industry FROM Account WHERE Id IN ('${few.join("','")}')`;
  const bulkRows = await conn.bulk2.query(bulkSoql);
  const bulk = bulkRows.toArray ? await bulkRows.toArray() : bulkRows;
  const byId = new Map(all.map((r) => [r.Id, r]));
  const same = bulk.length === few.length && bulk.every((r) => {
    const rest = byId.get(r.Id);
    return rest && (rest.Name ?? "") === (r.Name ?? "") && (rest.Industry ?? "") === (r.Industry ?? "");
  });
  check("bulk2 query equals the REST rows", same, `${bulk.length} rows`);

  const soap = new jsforce.Connection({ loginUrl: base, version });
  const soapUser = await soap.login(username, password);
  check("legacy SOAP login()", Boolean(soap.accessToken) && Boolean(soapUser.id), JSON.stringify(soapUser));
  const viaSoapSession = await soap.query("SELECT Id FROM Account LIMIT 5");
  check("query with the SOAP session", viaSoapSession.records.length === 5, viaSoapSession.records.length);
}

main()
  .catch((e) => {
    failed++;
    console.log(`FAIL unexpected error: ${e && e.stack ? e.stack : e}`);
  })
  .finally(() => {
    console.log(`jsforce: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });

"""Reads tables written by `sfdf sync` with Python's `deltalake` package, as a user would,
and checks them against the emulated org's own answers (REST query, no sfdf code).

usage: read_synced.py TARGET DEVELOPER_NAME BASE_URL CLIENT_ID CLIENT_SECRET
"""

import json
import sys
import urllib.parse
import urllib.request

from deltalake import DeltaTable


def token(base, client_id, client_secret):
    body = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    ).encode()
    with urllib.request.urlopen(f"{base}/services/oauth2/token", body) as r:
        return json.load(r)["access_token"]


def org_ids(base, access_token, soql):
    ids = []
    url = f"{base}/services/data/v62.0/query?q={urllib.parse.quote(soql)}"
    while url:
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {access_token}"})
        with urllib.request.urlopen(req) as r:
            page = json.load(r)
        ids.extend(rec["Id"] for rec in page["records"])
        url = f"{base}{page['nextRecordsUrl']}" if page.get("nextRecordsUrl") else None
    return ids


def main():
    target, developer, base, client_id, client_secret = sys.argv[1:6]
    access_token = token(base, client_id, client_secret)
    failures = 0
    for obj in ("Account", "Contact"):
        dt = DeltaTable(f"{target}/{developer}/{obj}")
        config = dt.metadata().configuration
        table = dt.to_pyarrow_table()
        ids = table.column("Id").to_pylist()
        expected = org_ids(base, access_token, f"SELECT Id FROM {obj}")
        checks = [
            ("properties name the object", config.get("sfdf.object") == obj),
            ("properties name the connection", config.get("sfdf.connection") == developer),
            ("no Id twice", len(ids) == len(set(ids))),
            ("the org's Ids, no more, no less", set(ids) == set(expected)),
            ("SystemModstamp is a UTC timestamp",
             str(table.schema.field("SystemModstamp").type) == "timestamp[us, tz=UTC]"),
        ]
        for name, ok in checks:
            print(f"{'ok  ' if ok else 'FAIL'} {obj}: {name}")
            failures += 0 if ok else 1
        print(f"     {obj}: {len(ids)} rows, version {dt.version()}")
    print(f"{5 * 2 - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

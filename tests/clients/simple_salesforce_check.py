"""simple-salesforce (unmodified) against the emulated org.

Checks what a data engineer would do with it: OAuth client credentials, describe,
`query_all` of Account, and a Bulk API 2.0 download of the same rows over several
result pages. The two extracts must agree row for row and value for value, text with
commas, quotes, line breaks and non-ASCII included.
"""

import argparse
import csv
import os
import sys
import tempfile

import requests
from simple_salesforce import Salesforce

FAILURES = []
PASSED = []


def check(name, ok, detail=""):
    (PASSED if ok else FAILURES).append(name)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")


def token(base, client_id, client_secret):
    # simple-salesforce builds its token URL as https://{domain}.salesforce.com, which cannot
    # name a loopback host, so the token comes from the same client-credentials POST it would send.
    r = requests.post(
        f"{base}/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, client_secret),
        timeout=30,
    )
    r.raise_for_status()
    body = r.json()
    return body["access_token"], body["instance_url"]


def normalize(value):
    if value is None or value == "":
        return None
    return str(value)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True, help="https base URL of the emulated org")
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", required=True)
    p.add_argument("--version", default="62.0")
    args = p.parse_args()

    access_token, instance_url = token(args.base, args.client_id, args.client_secret)
    check("token has https instance_url", instance_url.startswith("https://"), instance_url)
    sf = Salesforce(instance_url=args.base, session_id=access_token, version=args.version)

    describe = sf.Account.describe()
    fields = [
        f["name"]
        for f in describe["fields"]
        if f["type"] in ("string", "textarea", "picklist", "phone", "url")
        and not f.get("compoundFieldName")
    ][:8]
    check("describe lists text fields of Account", "Name" in fields, ",".join(fields))
    columns = ["Id"] + [f for f in fields if f != "Id"]
    soql = f"SELECT {', '.join(columns)} FROM Account"

    rest = sf.query_all(soql)
    rest_rows = {r["Id"]: r for r in rest["records"]}
    check("query_all pages through every row", rest["totalSize"] == len(rest["records"]) > 0,
          f"totalSize={rest['totalSize']} records={len(rest['records'])}")
    check("query_all ids are unique", len(rest_rows) == len(rest["records"]))

    with tempfile.TemporaryDirectory() as out:
        results = sf.bulk2.Account.download(soql, path=out, max_records=400)
        check("bulk2 download spans several result pages", len(results) > 1, str(len(results)))
        bulk_rows = {}
        duplicates = 0
        for result in results:
            with open(result["file"], newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    if row["Id"] in bulk_rows:
                        duplicates += 1
                    bulk_rows[row["Id"]] = row
        check("bulk2 rows have no duplicates", duplicates == 0, str(duplicates))
        check("bulk2 and query_all return the same ids", set(bulk_rows) == set(rest_rows),
              f"bulk={len(bulk_rows)} rest={len(rest_rows)}")
        mismatches = [
            (rid, col, rest_rows[rid][col], bulk_rows[rid][col])
            for rid in rest_rows.keys() & bulk_rows.keys()
            for col in columns
            if normalize(rest_rows[rid][col]) != normalize(bulk_rows[rid][col])
        ]
        check("bulk2 CSV values equal query_all values", not mismatches, repr(mismatches[:3]))
        tricky = sum(
            1 for r in rest_rows.values()
            for c in columns
            if isinstance(r[c], str) and any(ch in r[c] for ch in ",\"\n")
        )
        check("the data exercises commas, quotes and line breaks", tricky > 0, str(tricky))

    print(f"simple-salesforce: {len(PASSED)} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

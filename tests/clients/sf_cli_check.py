"""The Salesforce CLI (`sf`, unmodified) against the emulated org.

What a CLI user does: `sf org login access-token --instance-url …` with a token, then
`sf data query` and `sf data export bulk` of every Account row. Each extract's rows must
have unique ids and their count must equal the org's own COUNT() of Account. The CLI keeps
its state in a throwaway HOME so it never touches the user's orgs.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

FAILURES = []
PASSED = []
ALIAS = "sfdf-emulated"


def check(name, ok, detail=""):
    (PASSED if ok else FAILURES).append(name)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")


def sf(binary, env, *args):
    """Runs `sf … --json`; returns its parsed output (status 0) or raises with what it said."""
    done = subprocess.run(
        [binary, *args, "--json"], env=env, capture_output=True, text=True, timeout=300
    )
    try:
        out = json.loads(done.stdout)
    except json.JSONDecodeError:
        out = None
    if done.returncode != 0 or not isinstance(out, dict) or out.get("status") != 0:
        raise RuntimeError(
            f"sf {' '.join(args[:3])} exited {done.returncode}: {done.stdout[-2000:]} {done.stderr[-2000:]}"
        )
    return out["result"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sf", required=True, help="path of the sf executable")
    p.add_argument("--base", required=True, help="base URL of the emulated org")
    p.add_argument("--token", required=True, help="an access token of the org")
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as home:
        env = dict(
            os.environ,
            HOME=home,
            SF_ACCESS_TOKEN=args.token,
            SF_DISABLE_TELEMETRY="true",
            SF_AUTOUPDATE_DISABLE="true",
            SF_SKIP_NEW_VERSION_CHECK="true",
            SF_USE_GENERIC_UNIX_KEYCHAIN="true",
        )
        login = sf(args.sf, env, "org", "login", "access-token", "--instance-url", args.base,
                   "--alias", ALIAS, "--no-prompt")
        check("org login access-token",
              login.get("instanceUrl", "").rstrip("/") == args.base.rstrip("/"),
              json.dumps(login))

        count = sf(args.sf, env, "data", "query", "--query", "SELECT COUNT() FROM Account",
                   "--target-org", ALIAS)
        org_count = count.get("totalSize", 0)
        check("the org reports Account rows", org_count > 0, json.dumps(count)[:500])

        query = sf(args.sf, env, "data", "query", "--query", "SELECT Id, Name FROM Account",
                   "--target-org", ALIAS)
        ids = [r.get("Id") for r in query.get("records", [])]
        check("data query ids are unique", all(ids) and len(set(ids)) == len(ids),
              f"{len(ids)} rows, {len(set(ids))} ids")
        check("data query row count equals the org's COUNT()", len(ids) == org_count,
              f"read {len(ids)}, org reports {org_count}")

        out = os.path.join(home, "accounts.csv")
        sf(args.sf, env, "data", "export", "bulk", "--query", "SELECT Id, Name FROM Account",
           "--output-file", out, "--result-format", "csv", "--wait", "5", "--target-org", ALIAS)
        with open(out, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        bulk_ids = [r.get("Id") for r in rows]
        check("export bulk ids are unique", all(bulk_ids) and len(set(bulk_ids)) == len(bulk_ids),
              f"{len(bulk_ids)} rows, {len(set(bulk_ids))} ids")
        check("export bulk row count equals the org's COUNT()", len(bulk_ids) == org_count,
              f"read {len(bulk_ids)}, org reports {org_count}")
        check("export bulk and data query return the same ids", set(bulk_ids) == set(ids))

    print(f"Salesforce CLI: {len(PASSED)} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a client error is a failed check, with what the CLI said
        print(f"FAIL unexpected error: {e}")
        print(f"Salesforce CLI: {len(PASSED)} passed, {len(FAILURES) + 1} failed")
        sys.exit(1)

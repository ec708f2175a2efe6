"""pyforce (unmodified) against the emulated org, over the SOAP partner API.

What a SOAP user does: login() with username and password (pyforce gzips every request
body), then query and queryMore through every Account row in small batches. The ids must be
unique and their count must equal the org's own COUNT() of Account.
"""

import argparse
import sys

import pyforce

PARTNER = pyforce.xmlclient._tPartnerNS
SOBJECT = pyforce.xmlclient._tSObjectNS
FAILURES = []
PASSED = []


def check(name, ok, detail=""):
    (PASSED if ok else FAILURES).append(name)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")


def record_id(record):
    # The partner API lists Id twice (both the same); a record without one is a failure.
    ids = {str(e) for e in record[SOBJECT.Id,]}
    return ids.pop() if len(ids) == 1 else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True, help="base URL of the emulated org")
    p.add_argument("--username", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--version", default="62.0")
    args = p.parse_args()

    sf = pyforce.XMLClient(f"{args.base}/services/Soap/u/{args.version}")
    sf.batchSize = 200
    login = sf.login(args.username, args.password)
    session = str(login[PARTNER.sessionId])
    check("login() returns a session", len(session) > 10, session)

    count = sf.query("SELECT COUNT() FROM Account")
    org_count = int(str(count[PARTNER.size]))
    check("the org reports Account rows", org_count > 0, str(org_count))

    page = sf.query("SELECT Id, Name FROM Account")
    size = int(str(page[PARTNER.size]))
    ids = []
    pages = 1
    while True:
        for record in page[PARTNER.records,]:
            ids.append(record_id(record))
        if str(page[PARTNER.done]) == "true":
            break
        page = sf.queryMore(str(page[PARTNER.queryLocator]))
        pages += 1
    check("queryMore pages through the rows", pages > 1, f"{pages} pages")
    check("every record has an Id", all(ids), str(ids[:3]))
    check("ids are unique", len(set(ids)) == len(ids), f"{len(ids)} rows, {len(set(ids))} ids")
    check("size equals the rows read", size == len(ids), f"size={size} read={len(ids)}")
    check("row count equals the org's COUNT()", len(ids) == org_count,
          f"read {len(ids)}, org reports {org_count}")

    print(f"pyforce: {len(PASSED)} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a client error is a failed check, with what the org said
        print(f"FAIL unexpected error: {e!r}")
        print(f"pyforce: {len(PASSED)} passed, {len(FAILURES) + 1} failed")
        sys.exit(1)

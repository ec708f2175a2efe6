"""sfdf's tables in datafusion-python, against the emulated org."""

import re
import subprocess

import datafusion
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sfdf

JOIN_AGGREGATE = """
SELECT a."Industry" AS sector,
       count(*) AS opportunities,
       sum(o."Amount") AS total,
       max(a."AnnualRevenue") AS top_revenue
FROM {account} a
JOIN {opportunity} o ON o."AccountId" = a."Id"
WHERE a."Industry" IS NOT NULL
GROUP BY a."Industry"
ORDER BY a."Industry"
"""


def test_join_and_aggregate_equal_the_cli(org, sfdf_bin, tmp_path):
    conn = org.connection("emu")
    ctx = datafusion.SessionContext()
    ctx.register_catalog_provider("org", sfdf.Catalog(conn))
    ours = ctx.sql(
        JOIN_AGGREGATE.format(account="org.emu.Account", opportunity="org.emu.Opportunity")
    ).to_arrow_table()

    conn_file = tmp_path / "conn.yaml"
    conn_file.write_text(org.connection_yaml("emu"))
    out = tmp_path / "cli.parquet"
    subprocess.run(
        [
            str(sfdf_bin), "sql", str(conn_file),
            JOIN_AGGREGATE.format(account="Account", opportunity="Opportunity"),
            "--format", "parquet", "--output", str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    cli = pq.read_table(out)

    assert ours.num_rows > 3
    assert ours.column_names == cli.column_names
    assert ours.to_pylist() == cli.to_pylist()


def test_pushdown_reaches_the_soql(org):
    ctx = datafusion.SessionContext()
    ctx.register_table("account", sfdf.Table(org.connection(), "Account"))
    org.clear_log()
    rows = ctx.sql(
        """SELECT "Name", "AnnualRevenue" FROM account
           WHERE "AnnualRevenue" > 1000 LIMIT 7"""
    ).to_pylist()

    assert len(rows) == 7
    assert all(r["AnnualRevenue"] > 1000 for r in rows)
    assert org.soql_log() == [
        "SELECT Name, AnnualRevenue FROM Account WHERE AnnualRevenue > 1000 LIMIT 7"
    ]

    # A string filter is sent too (SOQL compares strings ignoring case, so DataFusion
    # checks it again and the LIMIT stays on its side).
    org.clear_log()
    energy = ctx.sql(
        """SELECT "Name" FROM account WHERE "Industry" = 'Energy' LIMIT 2"""
    ).to_pylist()
    assert len(energy) == 2
    (soql,) = org.soql_log()
    assert soql.startswith("SELECT Name, Industry FROM Account WHERE Industry = 'Energy'"), soql


def test_results_as_pandas_and_polars(org):
    ctx = datafusion.SessionContext()
    ctx.register_table("contact", sfdf.Table(org.connection(), "contact"))
    df = ctx.sql('SELECT "Id", "LastName", "AccountId" FROM contact ORDER BY "Id"')
    pandas_frame = df.to_pandas()
    assert list(pandas_frame.columns) == ["Id", "LastName", "AccountId"]
    assert len(pandas_frame) > 300  # about 2 Contacts per Account
    assert pandas_frame["Id"].is_monotonic_increasing

    # Round trip: the pandas frame back into DataFusion, joined with the org's Accounts,
    # gives what pandas computes from the same two tables.
    ctx.register_table("account", sfdf.Table(org.connection(), "Account"))
    accounts = ctx.sql('SELECT "Id" FROM account').to_pandas()
    ctx.from_pandas(pandas_frame, name="local_contacts")
    joined = ctx.sql(
        """SELECT count(*) AS n FROM local_contacts c
           JOIN account a ON a."Id" = c."AccountId" """
    ).to_pydict()
    expected = len(pandas_frame.merge(accounts, left_on="AccountId", right_on="Id"))
    assert expected > 0
    assert joined["n"] == [expected]

    polars = pytest.importorskip("polars")
    frame = df.to_polars()
    assert isinstance(frame, polars.DataFrame)
    assert frame.height == len(pandas_frame)


def test_a_bad_connection_raises_the_cli_message_without_secrets(tmp_path):
    with pytest.raises(sfdf.SfdfError) as missing_key:
        sfdf.Connection(
            connection_name="X", developer_name="x", client_id="id", client_secret="hunter2-secret"
        )
    assert "domain_url" in str(missing_key.value)
    assert "hunter2-secret" not in str(missing_key.value)

    with pytest.raises(sfdf.SfdfError) as missing_file:
        sfdf.Connection.from_file(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(missing_file.value)


def test_secrets_stay_out_of_repr_and_errors(org, monkeypatch):
    secret = "s3cr3t-from-env-9f2"
    monkeypatch.setenv("SFDF_TEST_SECRET", secret)
    conn = sfdf.Connection(
        connection_name="Wrong app",
        developer_name="wrong",
        domain_url=org.url,
        client_id="sfdf-wrong-app",
        client_secret="${SFDF_TEST_SECRET}",
    )
    assert secret not in repr(conn)
    assert "wrong" in repr(conn)
    with pytest.raises(sfdf.SfdfError) as failed:
        sfdf.Table(conn, "Account")
    assert secret not in str(failed.value)
    assert str(failed.value)


def test_unknown_object_names_it(org):
    with pytest.raises(sfdf.SfdfError) as unknown:
        sfdf.Table(org.connection(), "Acount")
    assert "Acount" in str(unknown.value)


def test_connection_test_is_the_cli_diagnosis(org, sfdf_bin, tmp_path):
    report = sfdf.test_connection(org.connection())
    assert report.passed and bool(report)
    assert [s.name for s in report.steps] == ["token", "identity", "API access", "objects", "query"]
    assert report.failure is None

    bad = sfdf.Connection(
        connection_name="Bad",
        developer_name="bad",
        domain_url=org.url,
        client_id="nobody",
        client_secret="nope-123",
    )
    failed = sfdf.test_connection(bad)
    assert not failed.passed
    assert failed.failure is not None and failed.failure.name == "token"
    assert failed.failure.likely_causes
    assert [s.status for s in failed.steps] == ["FAIL", "skip", "skip", "skip", "skip"]

    conn_file = tmp_path / "bad.yaml"
    conn_file.write_text(
        f"connection_name: Bad\ndeveloper_name: bad\ndomain_url: {org.url}\nclient_id: nobody\nclient_secret: nope-123\n"
    )
    cli = subprocess.run(
        [str(sfdf_bin), "connection", "test", str(conn_file), "--format", "csv"],
        capture_output=True,
        text=True,
    )
    assert cli.returncode != 0
    assert failed.failure.detail in cli.stdout


def test_the_docs_example_runs(capsys):
    """docs/python.md's example, run as it stands (so it cannot rot)."""
    import pathlib

    doc = pathlib.Path(__file__).parents[2] / "docs" / "python.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(doc), "exec"), {})
    printed = capsys.readouterr().out
    assert "SELECT Name, AnnualRevenue FROM Account WHERE AnnualRevenue > 1000000 LIMIT 3" in printed
    assert "('token', 'ok')" in printed

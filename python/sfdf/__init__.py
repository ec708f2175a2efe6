"""Salesforce org objects as tables of a datafusion-python ``SessionContext``.

    import datafusion, sfdf

    with sfdf.Emulator(rows=100, seed=1) as org:
        ctx = datafusion.SessionContext()
        ctx.register_table("account", sfdf.Table(org.connection(), "Account"))
        print(ctx.sql('SELECT "Name" FROM account LIMIT 5').to_pandas())

See docs/python.md.
"""

from ._sfdf import (
    Catalog,
    CheckStep,
    Connection,
    ConnectionReport,
    Emulator,
    SfdfError,
    Table,
    test_connection,
)

__all__ = [
    "Catalog",
    "CheckStep",
    "Connection",
    "ConnectionReport",
    "Emulator",
    "SfdfError",
    "Table",
    "test_connection",
]

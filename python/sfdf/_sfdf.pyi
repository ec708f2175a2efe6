"""Type stubs of sfdf's native module (re-exported by ``sfdf``)."""

from types import TracebackType
from typing import Any, final

from os import PathLike

class SfdfError(Exception):
    """An sfdf error (bad connection file, failed login, unknown object...).

    The message is the one the ``sfdf`` CLI prints after ``error:``; it never holds a secret.
    """

@final
class Connection:
    """A validated connection to an org; secrets never appear in ``repr`` or errors."""

    def __init__(self, **keys: Any) -> None:
        """The keys of a connection file, e.g. ``developer_name``, ``domain_url``,
        ``client_id``, ``client_secret`` (inline, ``"${ENV_VAR}"`` or ``"file:PATH"``),
        ``api_type``, ``objects``. Raises :class:`SfdfError` naming a bad key."""
    @staticmethod
    def from_file(path: str | PathLike[str]) -> Connection:
        """Reads and validates a connection file (YAML)."""
    @staticmethod
    def from_yaml(text: str) -> Connection:
        """Validates connection YAML given as text."""
    @property
    def developer_name(self) -> str:
        """The API name SQL refers to (the schema name under a :class:`Catalog`)."""
    @property
    def connection_name(self) -> str: ...
    @property
    def domain_url(self) -> str: ...
    @property
    def api_type(self) -> str:
        """``rest``, ``bulk`` or ``soap``."""
    @property
    def warnings(self) -> list[str]: ...

@final
class Catalog:
    """Every object of a connection as a table, in the schema named by its developer name.

    ``ctx.register_catalog_provider("org", sfdf.Catalog(conn))`` then
    ``SELECT ... FROM org.<developer_name>.account``.
    """

    def __init__(self, connection: Connection) -> None:
        """Connects (once per :class:`Connection`) and lists the objects."""
    def schema_names(self) -> list[str]: ...
    def __datafusion_catalog_provider__(self, session: Any) -> object: ...

@final
class Table:
    """One object as a table: ``ctx.register_table("account", sfdf.Table(conn, "Account"))``.

    Filters, the columns read and ``LIMIT`` go into the SOQL the table sends.
    """

    def __init__(self, connection: Connection, object: str) -> None:
        """Connects (once per :class:`Connection`) and describes ``object`` (any case)."""
    @property
    def object(self) -> str:
        """The object's name as the org spells it."""
    @property
    def columns(self) -> list[str]: ...
    def __datafusion_table_provider__(self, session: Any) -> object: ...

@final
class CheckStep:
    """One step of a connection test."""

    @property
    def name(self) -> str:
        """``token``, ``identity``, ``API access``, ``objects`` or ``query``."""
    @property
    def status(self) -> str:
        """``ok``, ``FAIL`` or ``skip`` (as ``sfdf connection test`` prints it)."""
    @property
    def detail(self) -> str: ...
    @property
    def likely_causes(self) -> list[str]: ...

@final
class ConnectionReport:
    """The diagnosis of ``sfdf connection test``; true when every step passed."""

    @property
    def steps(self) -> list[CheckStep]: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def passed(self) -> bool: ...
    @property
    def failure(self) -> CheckStep | None: ...
    def __bool__(self) -> bool: ...

def test_connection(connection: Connection) -> ConnectionReport:
    """Runs ``sfdf connection test``'s steps; a failing org gives a report, not an error."""

@final
class Emulator:
    """A local emulated Salesforce org, served by this process; a context manager."""

    def __init__(self, rows: int = 200, seed: int | None = None) -> None:
        """``rows`` Accounts (other objects scale from it), generated from ``seed``."""
    def __enter__(self) -> Emulator: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...
    def connection(self, developer_name: str = "emulated") -> Connection: ...
    def connection_yaml(self, developer_name: str = "emulated") -> str: ...
    @property
    def url(self) -> str: ...
    def soql_log(self) -> list[str]:
        """The SOQL of every query the org answered, oldest first."""
    def requests(self) -> list[tuple[str, str, int]]:
        """``(method, path, status)`` of every request answered, oldest first."""
    def clear_log(self) -> None: ...
    def stop(self) -> None:
        """Stops the org (leaving the ``with`` block does too)."""

//! `sfdf` for Python: a Salesforce org's objects as tables of a datafusion-python
//! `SessionContext`, through DataFusion's C ABI (datafusion-ffi 55, the PyCapsule protocol).
//!
//! - [`PyConnection`] (`sfdf.Connection`): a validated connection file, secrets redacted.
//! - [`PyCatalog`] (`sfdf.Catalog`): every object of a connection as a table, under the
//!   schema named by the connection's developer name.
//! - [`PyTable`] (`sfdf.Table`): one object.
//! - [`PyEmulator`] (`sfdf.Emulator`): the emulated org, in-process, on its own runtime.
//! - [`test_connection`]: the connection test of `sfdf connection test`.
//!
//! The connector's futures (reqwest) need a tokio runtime: one runtime for the process
//! ([`runtime`]) connects, and DataFusion's FFI wrappers poll scans on it (the handle
//! passed to `FFI_*::new_with_ffi_codec`). Python threads wait on it with the GIL released.

use std::error::Error as StdError;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, SchemaProvider, TableProvider};
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion_ffi::catalog_provider::FFI_CatalogProvider;
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion_ffi::table_provider::FFI_TableProvider;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict};
use sfdf_connector::provider::{ConnectionSchema, ObjectTable};
use sfdf_connector::{Connection, ConnectionReport, Session, StepStatus};
use sfdf_emulator::EmulatedOrg;
use tokio::runtime::Runtime;

create_exception!(
    sfdf,
    SfdfError,
    PyException,
    "An sfdf error: a bad connection file, a failed login, an unknown object. The message is the CLI's."
);

/// The process's runtime for the connector's futures: connecting, describing and scans.
fn runtime() -> PyResult<&'static Runtime> {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("sfdf")
        .enable_all()
        .build()
        .map_err(|e| SfdfError::new_err(format!("cannot start the async runtime: {e}")))?;
    Ok(RUNTIME.get_or_init(|| rt))
}

/// Runs a connector future to completion on [`runtime`], with the GIL released so other
/// Python threads (and datafusion-python's own) go on meanwhile.
fn block_on<F>(py: Python<'_>, future: F) -> PyResult<F::Output>
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    let rt = runtime()?;
    Ok(py.detach(|| rt.block_on(future)))
}

/// An error as a Python exception with the CLI's text (`sfdf` prints `error: <text>`): the
/// error and its causes joined by `: `, each only once. Secrets never reach this text: the
/// connector redacts them in its errors.
fn to_py(error: &(dyn StdError + 'static)) -> PyErr {
    let mut text = String::new();
    let mut cause = Some(error);
    while let Some(e) = cause {
        let part = e.to_string();
        if !part.is_empty() && !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        cause = e.source();
    }
    SfdfError::new_err(text)
}

/// The logical extension codec of the datafusion-python session the capsule is for: it
/// carries the session's task context, which the FFI wrappers need to decode filters and
/// run scans. `session` is a `SessionContext` (or its codec capsule).
fn codec_from_session(session: &Bound<'_, PyAny>) -> PyResult<FFI_LogicalExtensionCodec> {
    const NAME: &std::ffi::CStr = c"datafusion_logical_extension_codec";
    let hook = "__datafusion_logical_extension_codec__";
    let capsule = if session.hasattr(hook)? {
        session.getattr(hook)?.call0()?
    } else {
        session.clone()
    };
    let capsule = capsule.cast_into::<PyCapsule>().map_err(|_| {
        PyTypeError::new_err(
            "expected a datafusion SessionContext (datafusion==55.*) or its logical codec capsule",
        )
    })?;
    // `pointer_checked` compares the capsule's name: only datafusion's codec passes.
    let pointer = capsule.pointer_checked(Some(NAME))?;
    // SAFETY: the only `unsafe` of sfdf. A capsule named `datafusion_logical_extension_codec`
    // holds an `FFI_LogicalExtensionCodec` (datafusion-ffi's C ABI, `#[repr(C)]`), alive as
    // long as the capsule, which `capsule` keeps alive here; it is cloned (through its own
    // `clone` function pointer) before the capsule can go.
    #[allow(unsafe_code)]
    let codec = unsafe { pointer.cast::<FFI_LogicalExtensionCodec>().as_ref() };
    Ok(codec.clone())
}

/// A connection to an org: a validated connection file, or its keys as arguments.
///
/// Secrets (`client_secret`, `password`, ...) are read as the file reads them: inline,
/// `${ENV_VAR}`, or `file:PATH`; they appear in no `repr` and no error text.
#[pyclass(name = "Connection", module = "sfdf", frozen)]
struct PyConnection {
    connection: Connection,
    /// One authenticated session, opened on first use and shared by catalogs and tables.
    session: Mutex<Option<Session>>,
}

impl PyConnection {
    fn new_from(connection: Connection) -> Self {
        Self {
            connection,
            session: Mutex::new(None),
        }
    }

    fn session(&self, py: Python<'_>) -> PyResult<Session> {
        let mut slot = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(session) = slot.as_ref() {
            return Ok(session.clone());
        }
        let connection = &self.connection;
        let session = block_on(py, Session::connect(connection))?.map_err(|e| to_py(&e))?;
        *slot = Some(session.clone());
        Ok(session)
    }
}

#[pymethods]
impl PyConnection {
    /// `Connection(developer_name=..., domain_url=..., client_id=..., client_secret=...)`:
    /// the keys of a connection file; values as the file takes them.
    #[new]
    #[pyo3(signature = (**keys))]
    fn py_new(py: Python<'_>, keys: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let empty = PyDict::new(py);
        let keys = keys.unwrap_or(&empty);
        // YAML is a superset of JSON: the keys go through the very rules of a file.
        let json = py.import("json")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("indent", 2)?;
        let text: String = json
            .call_method("dumps", (keys,), Some(&kwargs))
            .map_err(|_| {
                PyTypeError::new_err(
                    "Connection() takes the keys of a connection file with str, int, bool, list or dict values",
                )
            })?
            .extract()?;
        let connection = Connection::from_yaml_with_env(&text, "Connection(...)", None, &|k| {
            std::env::var(k).ok()
        })
        .map_err(|e| to_py(&e))?;
        Ok(Self::new_from(connection))
    }

    /// Reads and validates a connection file (YAML); `file:` paths are relative to it.
    #[staticmethod]
    fn from_file(path: std::path::PathBuf) -> PyResult<Self> {
        let connection = Connection::from_yaml_file(&path).map_err(|e| to_py(&e))?;
        Ok(Self::new_from(connection))
    }

    /// Validates connection YAML given as text.
    #[staticmethod]
    fn from_yaml(text: &str) -> PyResult<Self> {
        let connection = Connection::from_yaml_str(text).map_err(|e| to_py(&e))?;
        Ok(Self::new_from(connection))
    }

    /// The API name SQL refers to (the catalog's schema name).
    #[getter]
    fn developer_name(&self) -> &str {
        self.connection.developer_name()
    }

    /// The free-text name shown to people.
    #[getter]
    fn connection_name(&self) -> &str {
        self.connection.connection_name()
    }

    /// The org's login URL.
    #[getter]
    fn domain_url(&self) -> String {
        self.connection.domain_url().to_string()
    }

    /// `rest`, `bulk` or `soap`... as in the file.
    #[getter]
    fn api_type(&self) -> String {
        format!("{:?}", self.connection.api_type()).to_lowercase()
    }

    /// Warnings of the file (e.g. deprecated password login).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.connection.warnings().to_vec()
    }

    fn __repr__(&self) -> String {
        format!(
            "sfdf.Connection(developer_name={:?}, domain_url={:?}, auth={:?})",
            self.connection.developer_name(),
            self.connection.domain_url().as_str(),
            self.connection.auth_type_label()
        )
    }
}

/// A connection's schema whose `table` lookups (the first one of an object describes it, over
/// HTTP) run on [`runtime`]: datafusion-python polls them on its own runtime, where the
/// connector's HTTP client finds no reactor.
#[derive(Debug)]
struct OnRuntime {
    schema: Arc<ConnectionSchema>,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl SchemaProvider for OnRuntime {
    fn table_names(&self) -> Vec<String> {
        self.schema.table_names()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let schema = Arc::clone(&self.schema);
        let name = name.to_owned();
        self.runtime
            .spawn(async move { schema.table(&name).await })
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?
    }

    fn table_exist(&self, name: &str) -> bool {
        self.schema.table_exist(name)
    }
}

/// Every object of a connection as a table: register with
/// `ctx.register_catalog_provider("org", sfdf.Catalog(conn))` and query
/// `org.<developer_name>.account`.
#[pyclass(name = "Catalog", module = "sfdf", frozen)]
struct PyCatalog {
    inner: Arc<MemoryCatalogProvider>,
}

#[pymethods]
impl PyCatalog {
    /// Connects (once per `Connection`) and lists the objects: those of the connection
    /// file, or else every queryable object of the org.
    #[new]
    fn py_new(py: Python<'_>, connection: &PyConnection) -> PyResult<Self> {
        let session = connection.session(py)?;
        let schema = block_on(py, ConnectionSchema::new(session))?.map_err(|e| to_py(&e))?;
        let inner = Arc::new(MemoryCatalogProvider::new());
        let name = schema.name().to_owned();
        let schema = OnRuntime {
            schema: Arc::new(schema),
            runtime: runtime()?.handle().clone(),
        };
        inner
            .register_schema(&name, Arc::new(schema))
            .map_err(|e| to_py(&e))?;
        Ok(Self { inner })
    }

    /// The schema names: the connection's developer name.
    fn schema_names(&self) -> Vec<String> {
        let mut names = self.inner.schema_names();
        names.sort();
        names
    }

    fn __datafusion_catalog_provider__<'py>(
        &self,
        py: Python<'py>,
        session: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let codec = codec_from_session(&session)?;
        let provider = Arc::clone(&self.inner) as Arc<dyn CatalogProvider>;
        let ffi = FFI_CatalogProvider::new_with_ffi_codec(
            provider,
            Some(runtime()?.handle().clone()),
            codec,
        );
        PyCapsule::new_with_value(py, ffi, c"datafusion_catalog_provider")
    }

    fn __repr__(&self) -> String {
        format!("sfdf.Catalog(schemas={:?})", self.schema_names())
    }
}

/// One object as a table: `ctx.register_table("account", sfdf.Table(conn, "Account"))`.
/// Filters, columns and `LIMIT` go into the SOQL it sends.
#[pyclass(name = "Table", module = "sfdf", frozen)]
struct PyTable {
    inner: Arc<ObjectTable>,
}

#[pymethods]
impl PyTable {
    /// Connects (once per `Connection`) and describes `object` (any case).
    #[new]
    fn py_new(py: Python<'_>, connection: &PyConnection, object: &str) -> PyResult<Self> {
        let session = connection.session(py)?;
        let table = block_on(py, ObjectTable::new(session, object))?.map_err(|e| to_py(&e))?;
        Ok(Self {
            inner: Arc::new(table),
        })
    }

    /// The object's name as the org spells it.
    #[getter]
    fn object(&self) -> &str {
        &self.inner.object().name
    }

    /// The table's columns, as the org spells them.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.inner
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    fn __datafusion_table_provider__<'py>(
        &self,
        py: Python<'py>,
        session: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let codec = codec_from_session(&session)?;
        let provider = Arc::clone(&self.inner) as Arc<dyn TableProvider>;
        let ffi = FFI_TableProvider::new_with_ffi_codec(
            provider,
            true,
            Some(runtime()?.handle().clone()),
            codec,
        );
        PyCapsule::new_with_value(py, ffi, c"datafusion_table_provider")
    }

    fn __repr__(&self) -> String {
        format!("sfdf.Table({:?})", self.inner.object().name)
    }
}

/// One step of a connection test.
#[pyclass(name = "CheckStep", module = "sfdf", frozen, get_all)]
struct PyCheckStep {
    /// `token`, `identity`, `API access`, `objects` or `query`.
    name: String,
    /// `ok`, `FAIL` or `skip`, as `sfdf connection test` prints it.
    status: String,
    /// What was found, or the error.
    detail: String,
    /// On failure: the likely reasons, most likely first, each with what to do.
    likely_causes: Vec<String>,
}

#[pymethods]
impl PyCheckStep {
    fn __repr__(&self) -> String {
        format!(
            "sfdf.CheckStep(name={:?}, status={:?}, detail={:?})",
            self.name, self.status, self.detail
        )
    }
}

/// The diagnosis of `sfdf connection test`.
#[pyclass(name = "ConnectionReport", module = "sfdf", frozen, get_all)]
struct PyConnectionReport {
    /// Every step, in order.
    steps: Vec<Py<PyCheckStep>>,
    /// Warnings of the connection file.
    warnings: Vec<String>,
    /// Whether every step passed.
    passed: bool,
}

#[pymethods]
impl PyConnectionReport {
    /// The failed step, if any.
    #[getter]
    fn failure(&self, py: Python<'_>) -> Option<Py<PyCheckStep>> {
        self.steps
            .iter()
            .find(|s| s.get().status == "FAIL")
            .map(|s| s.clone_ref(py))
    }

    fn __bool__(&self) -> bool {
        self.passed
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|s| format!("{}={}", s.bind(py).get().name, s.bind(py).get().status))
            .collect();
        format!(
            "sfdf.ConnectionReport(passed={}, steps=[{}])",
            if self.passed { "True" } else { "False" },
            steps.join(", ")
        )
    }
}

fn report_to_py(py: Python<'_>, report: ConnectionReport) -> PyResult<PyConnectionReport> {
    let passed = report.passed();
    let steps = report
        .steps
        .into_iter()
        .map(|step| {
            let status = match step.status {
                StepStatus::Passed => "ok",
                StepStatus::Failed => "FAIL",
                StepStatus::Skipped => "skip",
            };
            Py::new(
                py,
                PyCheckStep {
                    name: step.name.to_owned(),
                    status: status.to_owned(),
                    detail: step.detail,
                    likely_causes: step.likely_causes,
                },
            )
        })
        .collect::<PyResult<_>>()?;
    Ok(PyConnectionReport {
        steps,
        warnings: report.warnings,
        passed,
    })
}

/// Runs the connection test of `sfdf connection test` (token, identity, API access,
/// objects, a query); never raises for a failing org: the report says what failed and why.
#[pyfunction]
fn test_connection(py: Python<'_>, connection: &PyConnection) -> PyResult<PyConnectionReport> {
    let report = block_on(py, sfdf_connector::test_connection(&connection.connection))?;
    report_to_py(py, report)
}

/// The emulated org, served on loopback by this process on its own runtime thread.
struct RunningOrg {
    org: EmulatedOrg,
    runtime: Runtime,
}

/// A local, emulated Salesforce org for notebooks and pipeline tests: a context manager.
///
/// ```python
/// with sfdf.Emulator(rows=500, seed=7) as org:
///     conn = org.connection()
/// ```
#[pyclass(name = "Emulator", module = "sfdf", frozen)]
struct PyEmulator {
    running: Mutex<Option<RunningOrg>>,
}

impl PyEmulator {
    fn with_org<T>(&self, f: impl FnOnce(&EmulatedOrg) -> T) -> PyResult<T> {
        let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        match running.as_ref() {
            Some(running) => Ok(f(&running.org)),
            None => Err(SfdfError::new_err(
                "the emulator is stopped; start a new sfdf.Emulator()",
            )),
        }
    }
}

#[pymethods]
impl PyEmulator {
    /// Starts the org with `rows` generated Accounts (and related records), from `seed`.
    #[new]
    #[pyo3(signature = (rows = 200, seed = None))]
    fn py_new(py: Python<'_>, rows: usize, seed: Option<u64>) -> PyResult<Self> {
        // Its own runtime: the org serves while Python runs anything else, and stops
        // with it, whatever other runtime exists.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("sfdf-emulator")
            .enable_all()
            .build()
            .map_err(|e| SfdfError::new_err(format!("cannot start the emulator's runtime: {e}")))?;
        let mut builder = EmulatedOrg::builder().rows(rows);
        if let Some(seed) = seed {
            builder = builder.seed(seed);
        }
        let org = py
            .detach(|| runtime.block_on(builder.start()))
            .map_err(|e| to_py(&e))?;
        Ok(Self {
            running: Mutex::new(Some(RunningOrg { org, runtime })),
        })
    }

    /// A connection to this org (client credentials of its default connected app).
    #[pyo3(signature = (developer_name = "emulated"))]
    fn connection(&self, developer_name: &str) -> PyResult<PyConnection> {
        let yaml = self.connection_yaml(developer_name)?;
        let connection = Connection::from_yaml_str(&yaml).map_err(|e| to_py(&e))?;
        Ok(PyConnection::new_from(connection))
    }

    /// The connection file's text for this org, to write to disk or extend.
    #[pyo3(signature = (developer_name = "emulated"))]
    fn connection_yaml(&self, developer_name: &str) -> PyResult<String> {
        self.with_org(|org| org.connection_yaml(developer_name))
    }

    /// The org's base URL (`http://127.0.0.1:PORT`).
    #[getter]
    fn url(&self) -> PyResult<String> {
        self.with_org(|org| org.base_url().to_owned())
    }

    /// The SOQL of every query the org answered so far, oldest first.
    fn soql_log(&self) -> PyResult<Vec<String>> {
        self.with_org(|org| org.requests().into_iter().filter_map(|r| r.soql).collect())
    }

    /// Every request the org answered: `(method, path, status)`, oldest first.
    fn requests(&self) -> PyResult<Vec<(String, String, u16)>> {
        self.with_org(|org| {
            org.requests()
                .into_iter()
                .map(|r| (r.method, r.path, r.status))
                .collect()
        })
    }

    /// Forgets the requests logged so far.
    fn clear_log(&self) -> PyResult<()> {
        self.with_org(EmulatedOrg::clear_requests)
    }

    /// Stops the org (also done by leaving the `with` block). Idempotent.
    fn stop(&self, py: Python<'_>) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(RunningOrg { org, runtime }) = running {
            py.detach(|| {
                drop(org);
                runtime.shutdown_timeout(std::time::Duration::from_secs(5));
            });
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.stop(py);
        false
    }

    fn __repr__(&self) -> String {
        match self.url() {
            Ok(url) => format!("sfdf.Emulator(url={url:?})"),
            Err(_) => "sfdf.Emulator(stopped)".to_owned(),
        }
    }
}

impl Drop for PyEmulator {
    fn drop(&mut self) {
        if let Some(RunningOrg { org, runtime }) = self
            .running
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            drop(org);
            runtime.shutdown_background();
        }
    }
}

/// The native part of the `sfdf` package (see `sfdf/__init__.py`).
#[pymodule]
fn _sfdf(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("SfdfError", m.py().get_type::<SfdfError>())?;
    m.add_class::<PyConnection>()?;
    m.add_class::<PyCatalog>()?;
    m.add_class::<PyTable>()?;
    m.add_class::<PyEmulator>()?;
    m.add_class::<PyCheckStep>()?;
    m.add_class::<PyConnectionReport>()?;
    m.add_function(wrap_pyfunction!(test_connection, m)?)?;
    Ok(())
}

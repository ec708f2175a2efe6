//! Secret references in connection files: `${VAR}` (environment) and `file:PATH`.

use std::path::Path;

use crate::error::{ConfigIssue, IssueKind};

/// Where a setting's value came from; decides whether an inline secret is acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Inline,
    Environment,
    File,
}

/// Resolves `${VAR}` and `file:PATH`; anything else is the literal value.
///
/// Error messages name the variable or file, never the value.
pub(crate) fn resolve(
    setting: &str,
    raw: &str,
    base_dir: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Origin), ConfigIssue> {
    let raw = raw.trim();
    if let Some(rest) = raw.strip_prefix("${") {
        let Some(var) = rest.strip_suffix('}') else {
            return Err(issue(
                setting,
                "has an unterminated `${`",
                "write the environment reference as `${NAME}`",
            ));
        };
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(issue(
                setting,
                &format!("`${{{var}}}` is not a valid environment variable name"),
                "use letters, digits and underscores, e.g. `${SF_CLIENT_SECRET}`",
            ));
        }
        return match env(var) {
            Some(v) if !v.trim().is_empty() => Ok((v.trim().to_string(), Origin::Environment)),
            Some(_) => Err(issue(
                setting,
                &format!("environment variable `{var}` is empty"),
                &format!("set `{var}` to the value before running sfdf"),
            )),
            None => Err(issue(
                setting,
                &format!("environment variable `{var}` is not set"),
                &format!("export `{var}` before running sfdf"),
            )),
        };
    }
    if let Some(path) = raw.strip_prefix("file:") {
        let path = path.trim();
        let full = match base_dir {
            Some(dir) if Path::new(path).is_relative() => dir.join(path),
            _ => Path::new(path).to_path_buf(),
        };
        return match read_secret_file(&full) {
            Ok(text) if !text.trim().is_empty() => Ok((text.trim().to_string(), Origin::File)),
            Ok(_) => Err(issue(
                setting,
                &format!("file `{}` is empty", full.display()),
                "put the value in the file",
            )),
            Err(problem) => Err(issue(
                setting,
                &format!("cannot read file `{}`: {problem}", full.display()),
                "point it at a regular file holding only the value (relative paths start at the connection file's folder)",
            )),
        };
    }
    Ok((raw.to_string(), Origin::Inline))
}

/// The most a secret file may hold: secrets, keys and tokens are far smaller.
pub(crate) const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// Reads a secret file (see [`read_capped_file`]) as text.
fn read_secret_file(path: &Path) -> Result<String, String> {
    let bytes = read_capped_file(path, MAX_SECRET_FILE_BYTES)?;
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())
}

/// Reads a file a setting points at (a secret, a CA bundle): a regular file (never a
/// device or a FIFO, which would never end or block forever) of at most `max` bytes.
pub(crate) fn read_capped_file(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("it is not a regular file (a folder, device or pipe)".into());
    }
    let too_big = || format!("it is too big: at most {max} bytes are read for this setting");
    if meta.len() > max {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max {
        return Err(too_big());
    }
    Ok(bytes)
}

fn issue(setting: &str, problem: &str, fix: &str) -> ConfigIssue {
    ConfigIssue {
        kind: IssueKind::Invalid,
        setting: setting.to_string(),
        problem: problem.to_string(),
        fix: fix.to_string(),
    }
}

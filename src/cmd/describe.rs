//! `sfdf describe FILE OBJECT`: one object's fields with their Salesforce and Arrow types.

use std::path::PathBuf;
use std::process::ExitCode;

use sfdf_connector::{CompoundRole, Connection, Session};

/// Arguments of `sfdf describe`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The connection file (YAML).
    pub file: PathBuf,
    /// The object's API name, e.g. `Account`.
    pub object: String,
}

/// Runs `sfdf describe`.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let conn = Connection::from_yaml_file(&args.file)?;
    for w in conn.warnings() {
        eprintln!("warning: {w}");
    }
    let session = Session::authenticate(&conn).await?;
    let object = session.describe(&args.object).await?;
    let rows: Vec<[String; 5]> = object
        .fields
        .iter()
        .map(|f| {
            let mut sf = f.sf_type.clone();
            if let CompoundRole::Component(c) = &f.compound {
                sf.push_str(&format!(" (part of {c})"));
            }
            [
                f.name.clone(),
                sf,
                f.data_type.to_string(),
                if f.nillable { "yes" } else { "no" }.to_string(),
                if f.filterable { "yes" } else { "no" }.to_string(),
            ]
        })
        .collect();
    let header = [
        "field",
        "salesforce type",
        "arrow type",
        "nullable",
        "filterable",
    ];
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: [&str; 5]| {
        let text: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:w$}"))
            .collect();
        println!("{}", text.join("  ").trim_end());
    };
    println!(
        "{} ({}){}",
        object.name,
        object.label,
        if object.custom { ", custom" } else { "" }
    );
    line(header);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4]]);
    }
    for s in &object.skipped {
        println!("not a column: {} ({}): {}", s.name, s.sf_type, s.reason);
    }
    Ok(ExitCode::SUCCESS)
}

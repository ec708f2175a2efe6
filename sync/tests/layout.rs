//! The data file layout of the Delta layer: row groups bounded in bytes (what a writer holds in
//! memory), and merges that rewrite only the files holding the rows they change.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::{DataFrame, SessionContext};
use deltalake::parquet::file::reader::{FileReader, SerializedFileReader};
use sfdf_sync::delta::{Commit, DeltaDir, FILE_SIZE_PROPERTY, ROW_GROUP_BYTES};

/// Rows `ids` with a key `Id` (zero-padded, so text order is number order), a `Name` of
/// `width` characters that differ from row to row, and an `IsDeleted` flag (false).
fn frame(ids: std::ops::Range<usize>, width: usize, tag: &str) -> DataFrame {
    let schema = Arc::new(Schema::new(vec![
        Field::new("Id", DataType::Utf8, false),
        Field::new("Name", DataType::Utf8, true),
        Field::new("IsDeleted", DataType::Boolean, false),
    ]));
    let id: Vec<String> = ids.clone().map(|i| format!("{i:08}")).collect();
    let name: Vec<String> = ids
        .clone()
        .map(|i| {
            // Text that compresses as little as real names and notes: pseudo-random letters.
            let mut x = (i as u64) ^ u64::from(tag.as_bytes()[0]) << 56;
            (0..width)
                .map(|_| {
                    x = x
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    char::from(b'a' + (x >> 59) as u8 % 26)
                })
                .collect::<String>()
        })
        .collect();
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(StringArray::from(id)) as ArrayRef,
            Arc::new(StringArray::from(name)),
            Arc::new(BooleanArray::from(vec![false; ids.len()])),
        ],
    )
    .unwrap();
    let table = MemTable::try_new(schema, vec![vec![batch]]).unwrap();
    SessionContext::new().read_table(Arc::new(table)).unwrap()
}

/// The commit of a new table whose data files close at 256 KiB: 2 MB of rows make several.
fn small_files() -> Commit {
    Commit {
        properties: HashMap::from([(FILE_SIZE_PROPERTY.to_string(), "262144".to_string())]),
        ..Default::default()
    }
}

fn parquet_files(dir: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect()
}

#[tokio::test]
async fn row_groups_are_bounded_in_bytes_whatever_the_row_count() {
    let folder = tempfile::tempdir().unwrap();
    let mut dir = DeltaDir::open(folder.path()).await.unwrap();
    // ~20 MB of text: one or two files, each of several row groups.
    dir.overwrite(frame(0..100_000, 300, "a"), &Commit::default())
        .await
        .unwrap();
    let mut groups = Vec::new();
    for file in parquet_files(folder.path()) {
        let reader = SerializedFileReader::new(std::fs::File::open(file).unwrap()).unwrap();
        groups.extend(reader.metadata().row_groups().iter().cloned());
    }
    assert!(groups.len() >= 4, "{} row groups", groups.len());
    for group in &groups {
        // The writer flushes once its estimate passes the bound: one batch over at most.
        assert!(
            (group.compressed_size() as usize) < 2 * ROW_GROUP_BYTES,
            "a row group of {} bytes",
            group.compressed_size()
        );
    }
    assert_eq!(
        groups.iter().map(|g| g.num_rows()).sum::<i64>(),
        100_000,
        "every row written once"
    );
}

#[tokio::test]
async fn tables_record_their_file_size_and_writes_follow_it() {
    let folder = tempfile::tempdir().unwrap();
    let mut dir = DeltaDir::open(folder.path()).await.unwrap();
    dir.overwrite(frame(0..10, 10, "a"), &Commit::default())
        .await
        .unwrap();
    assert_eq!(
        dir.properties().get(FILE_SIZE_PROPERTY).map(String::as_str),
        Some(&*sfdf_sync::delta::TARGET_FILE_SIZE.to_string())
    );
    let small = tempfile::tempdir().unwrap();
    let mut dir = DeltaDir::open(small.path()).await.unwrap();
    dir.overwrite(frame(0..20_000, 100, "a"), &small_files())
        .await
        .unwrap();
    assert_eq!(dir.target_file_size(), 262_144);
    let files = parquet_files(small.path());
    assert!(
        files.len() >= 4,
        "2 MB in 256 KiB files: {} files",
        files.len()
    );
}

#[tokio::test]
async fn a_merge_of_the_newest_rows_rewrites_only_the_files_that_hold_them() {
    let folder = tempfile::tempdir().unwrap();
    let mut dir = DeltaDir::open(folder.path()).await.unwrap();
    // Rows arrive in Id order, as a sync reads them: each file holds a narrow Id range.
    dir.overwrite(frame(0..20_000, 100, "a"), &small_files())
        .await
        .unwrap();
    let before = parquet_files(folder.path());
    assert!(before.len() >= 4, "{} files", before.len());
    // The 10 newest rows change and 5 new ones come: the org's usual pattern.
    let counts = dir
        .upsert(
            frame(19_990..20_005, 100, "b"),
            "Id",
            Some("IsDeleted"),
            None,
            &Commit::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        (counts.updated, counts.inserted, counts.deleted),
        (10, 5, 0)
    );
    let after = parquet_files(folder.path());
    let version = dir.version();
    // Files the new version no longer uses were rewritten; the others are untouched.
    let reopened = DeltaDir::open(folder.path()).await.unwrap();
    assert_eq!(reopened.version(), version);
    let live: BTreeSet<PathBuf> = after
        .iter()
        .filter(|p| !reopened.orphan_files().unwrap().contains(p))
        .cloned()
        .collect();
    let kept = before.intersection(&live).count();
    assert!(
        kept >= before.len() - 1,
        "only the newest file should be rewritten: kept {kept} of {}",
        before.len()
    );
    let ctx = SessionContext::new();
    assert_eq!(reopened.count_rows(&ctx).await.unwrap(), 20_005);
}

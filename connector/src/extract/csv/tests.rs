//! Decoder behaviour on hand-written pages and the recorded fixtures.

mod decoding {
    use super::super::*;
    use datafusion::arrow::array::{
        Array, AsArray, BooleanArray, Date32Array, Decimal128Array, Int32Array,
        Time32MillisecondArray, TimestampMillisecondArray,
    };
    use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};

    use sfdf_fixtures::bytes as fixture;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("Id", DataType::Utf8, true),
            Field::new("Name", DataType::Utf8, true),
            Field::new("IsActive__c", DataType::Boolean, true),
            Field::new("Employees", DataType::Int32, true),
            Field::new("Revenue", DataType::Decimal128(18, 2), true),
            Field::new("Opened", DataType::Date32, true),
            Field::new(
                "SystemModstamp",
                DataType::Timestamp(TimeUnit::Millisecond, Some(crate::schema::UTC.into())),
                true,
            ),
            Field::new("Alarm", DataType::Time32(TimeUnit::Millisecond), true),
        ]))
    }

    const PAGE: &[u8] = b"\"Id\",\"Name\",\"IsActive__c\",\"Employees\",\"Revenue\",\"Opened\",\"SystemModstamp\",\"Alarm\"\n\
\"001A\",\"Acme, \"\"the\"\" best\",\"true\",\"12\",\"1500000.5\",\"2024-01-05\",\"2024-01-05T10:00:00.000Z\",\"10:30:00.000Z\"\n\
\"001B\",\"two\nlines\",\"false\",,\"5.0E7\",,\"2024-02-29T23:59:59.999Z\",\n\
\"001C\",\"\",\"FALSE\",\"-3\",\"\",\"1999-12-31\",,\"00:00:00.000Z\"\n";

    fn decode_in_chunks(data: &[u8], chunk: usize, skip: u64) -> Vec<RecordBatch> {
        let mut d = BulkCsvDecoder::new("test", schema(), CsvFormat::default(), 2, skip);
        let mut out = Vec::new();
        for c in data.chunks(chunk) {
            out.extend(d.push(c).unwrap());
        }
        out.extend(d.finish().unwrap());
        out
    }

    fn concat(batches: &[RecordBatch]) -> RecordBatch {
        datafusion::arrow::compute::concat_batches(&schema(), batches).unwrap()
    }

    #[test]
    fn salesforce_formats_quotes_and_newlines_at_every_chunk_size() {
        let whole = concat(&decode_in_chunks(PAGE, PAGE.len(), 0));
        assert_eq!(whole.num_rows(), 3);
        for size in 1..40 {
            assert_eq!(
                concat(&decode_in_chunks(PAGE, size, 0)),
                whole,
                "chunk size {size}"
            );
        }
        let names = whole.column(1).as_string::<i32>();
        assert_eq!(names.value(0), "Acme, \"the\" best");
        assert_eq!(names.value(1), "two\nlines");
        assert!(names.is_null(2), "quoted empty is null");
        let b = whole
            .column(2)
            .as_any()
            .downcast_ref::<BooleanArray>()
            .unwrap();
        assert_eq!((b.value(0), b.value(1), b.value(2)), (true, false, false));
        let e = whole
            .column(3)
            .as_any()
            .downcast_ref::<Int32Array>()
            .unwrap();
        assert!(e.is_null(1));
        assert_eq!(e.value(2), -3);
        let r = whole
            .column(4)
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap();
        assert_eq!(r.value(0), 150_000_050);
        assert_eq!(r.value(1), 5_000_000_000, "exponent form");
        let d = whole
            .column(5)
            .as_any()
            .downcast_ref::<Date32Array>()
            .unwrap();
        assert_eq!(d.value_as_date(0).unwrap().to_string(), "2024-01-05");
        let t = whole
            .column(6)
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .unwrap();
        assert_eq!(t.value(0), 1_704_448_800_000);
        assert!(t.is_null(2));
        let a = whole
            .column(7)
            .as_any()
            .downcast_ref::<Time32MillisecondArray>()
            .unwrap();
        assert_eq!(a.value(0), (10 * 3600 + 30 * 60) * 1000);
        assert!(a.is_null(1));
        assert_eq!(a.value(2), 0);
    }

    #[test]
    fn nul_bytes_are_stripped() {
        let dirty: Vec<u8> = PAGE
            .iter()
            .flat_map(|b| if *b == b'A' { vec![0, b'A'] } else { vec![*b] })
            .collect();
        assert_eq!(
            concat(&decode_in_chunks(&dirty, 7, 0)),
            concat(&decode_in_chunks(PAGE, 7, 0))
        );
    }

    #[test]
    fn skip_drops_rows_already_emitted() {
        let all = concat(&decode_in_chunks(PAGE, 5, 0));
        for skip in 0..=3u64 {
            let rest = decode_in_chunks(PAGE, 5, skip);
            let rows: usize = rest.iter().map(|b| b.num_rows()).sum();
            assert_eq!(rows as u64, 3 - skip);
            if skip < 3 {
                assert_eq!(concat(&rest), all.slice(skip as usize, 3 - skip as usize));
            }
        }
    }

    #[test]
    fn header_must_match_the_columns() {
        let mut d = BulkCsvDecoder::new("page of Account", schema(), CsvFormat::default(), 10, 0);
        let e = d.push(b"Id,Nope\n\"1\",\"2\"\n").unwrap_err().to_string();
        assert!(e.contains("header") && e.contains("Nope"), "{e}");
    }

    #[test]
    fn bad_values_name_the_column() {
        let mut d = BulkCsvDecoder::new("page of Account", schema(), CsvFormat::default(), 10, 0);
        let mut page =
            b"Id,Name,IsActive__c,Employees,Revenue,Opened,SystemModstamp,Alarm\n".to_vec();
        page.extend_from_slice(b"1,x,true,twelve,,,,\n");
        let r = d.push(&page).and_then(|_| d.finish());
        let e = r.unwrap_err().to_string();
        assert!(e.contains("page of Account") && e.contains("twelve"), "{e}");
    }

    #[test]
    fn bad_values_name_the_column_row_and_value() {
        let cases: [(&[u8], &str, &str); 4] = [
            (
                b"1,x,true,twelve,,,,\n",
                "Employees",
                "`twelve` is not an Int32",
            ),
            (
                b"1,x,true,,,2023-02-30,,\n",
                "Opened",
                "`2023-02-30` is not a date",
            ),
            (
                b"1,x,maybe,,,,,\n",
                "IsActive__c",
                "`maybe` is not a boolean",
            ),
            (
                b"1,x,,,,,yesterday,\n",
                "SystemModstamp",
                "`yesterday` is not a datetime",
            ),
        ];
        for (row, column, what) in cases {
            let mut d =
                BulkCsvDecoder::new("page of Account", schema(), CsvFormat::default(), 10, 0);
            let mut page =
                b"Id,Name,IsActive__c,Employees,Revenue,Opened,SystemModstamp,Alarm\n".to_vec();
            page.extend_from_slice(b"0,ok,,,,,,\n");
            page.extend_from_slice(row);
            let e = d
                .push(&page)
                .and_then(|_| d.finish())
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("page of Account")
                    && e.contains(&format!("column {column}"))
                    && e.contains(what)
                    && e.contains("row 2"),
                "{e}"
            );
        }
        let mut d = BulkCsvDecoder::new("p", schema(), CsvFormat::default(), 10, 0);
        let e = d
            .push(b"Id,Name,IsActive__c,Employees,Revenue,Opened,SystemModstamp,Alarm\n1,2\n")
            .and_then(|_| d.finish())
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 1 has 2 fields, the header has 8"), "{e}");
    }

    #[test]
    fn a_single_column_row_of_null_is_a_row() {
        // `SELECT Description FROM Account`: a null row is an empty line, not a blank one.
        let one = Arc::new(Schema::new(vec![Field::new(
            "Description",
            DataType::Utf8,
            true,
        )]));
        let mut d = BulkCsvDecoder::new("p", one, CsvFormat::default(), 10, 0);
        let mut out = d
            .push(b"\"Description\"\r\n\"a\"\r\n\r\n\"b\"\r\n")
            .unwrap();
        out.extend(d.finish().unwrap());
        let col = out[0].column(0).as_string::<i32>();
        assert_eq!(col.len(), 3);
        assert_eq!(
            (col.value(0), col.is_null(1), col.value(2)),
            ("a", true, "b")
        );
    }

    #[test]
    fn types_no_salesforce_field_has_are_refused_clearly() {
        let odd = Arc::new(Schema::new(vec![Field::new("X", DataType::UInt8, true)]));
        let mut d = BulkCsvDecoder::new("p", odd, CsvFormat::default(), 10, 0);
        let e = d.push(b"X\n1\n").unwrap_err().to_string();
        assert!(e.contains("column X has type UInt8"), "{e}");
    }

    #[test]
    fn fixture_pages_and_count_only() {
        let ids = Arc::new(Schema::new(vec![Field::new("Id", DataType::Utf8, true)]));
        let body = fixture("bulk2/query-results.page1.applink.csv");
        let mut d = BulkCsvDecoder::new("p", Arc::clone(&ids), CsvFormat::default(), 100, 0);
        let mut rows: usize = d.push(&body).unwrap().iter().map(|b| b.num_rows()).sum();
        rows += d
            .finish()
            .unwrap()
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>();
        assert_eq!(rows, 3);
        let empty = fixture("bulk2/query-results.empty.applink.csv");
        let mut d = BulkCsvDecoder::new("p", Arc::clone(&ids), CsvFormat::default(), 100, 0);
        assert!(d.push(&empty).unwrap().is_empty());
        assert!(d.finish().unwrap().is_empty());
        // No columns requested: the page carries Id; batches carry only row counts.
        let mut d =
            BulkCsvDecoder::new("p", Arc::new(Schema::empty()), CsvFormat::default(), 100, 0);
        let mut out = d.push(&body).unwrap();
        out.extend(d.finish().unwrap());
        assert_eq!(out.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
        assert!(out.iter().all(|b| b.num_columns() == 0));
    }

    #[test]
    fn time_parsing() {
        assert_eq!(parse_time_millis("10:30:00.000Z"), Some(37_800_000));
        assert_eq!(parse_time_millis("23:59:59.9Z"), Some(86_399_900));
        assert_eq!(parse_time_millis("07:05"), Some(25_500_000));
        assert_eq!(parse_time_millis("25:00:00Z"), None);
        assert_eq!(parse_time_millis("noon"), None);
    }
}

mod crlf {
    use super::super::*;
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    #[test]
    fn crlf_inside_quotes_is_kept() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("Id", DataType::Utf8, true),
            Field::new("Name", DataType::Utf8, true),
        ]));
        let mut d = BulkCsvDecoder::new("t", schema, CsvFormat::default(), 10, 0);
        let mut out = d.push(b"Id,Name\n\"1\",\"a\r\nb\"\n").unwrap();
        out.extend(d.finish().unwrap());
        assert_eq!(out[0].column(1).as_string::<i32>().value(0), "a\r\nb");
    }
}

//! Compressed request bodies: `Content-Encoding: gzip` or `deflate`, on every endpoint.
//!
//! Salesforce documents (REST API, "Compression Headers") that it decompresses any request
//! sent with `Content-Encoding: gzip` or `deflate` before processing it; SOAP clients such as
//! pyforce rely on the same for their envelopes. The answer to any other encoding, or to a
//! body that does not decompress, is not documented. Best guesses: REST answers 415
//! `UNSUPPORTED_MEDIA_TYPE` (worded like the org's answer to an unsupported `Content-Type`) and
//! 400 `INVALID_REQUEST`; SOAP answers a `soapenv:Client` fault (HTTP 500, as every SOAP fault).

use std::io::Read;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::{sf_error, soap};

/// The most a request body may hold once decompressed: axum's default body limit, which every
/// handler's body extractor enforces on a plain body too.
pub(crate) const MAX_DECODED_BYTES: usize = 2 * 1024 * 1024;

/// One content coding of a request body.
#[derive(Clone, Copy)]
enum Coding {
    Gzip,
    Deflate,
}

/// The request with its body decompressed and `Content-Encoding` removed, or the org's answer
/// when the encoding is not one it reads or the body does not decompress. Requests without
/// `Content-Encoding` (or with only `identity`) pass through untouched.
pub(crate) async fn decode(req: Request<Body>, soap_api: bool) -> Result<Request<Body>, Response> {
    let Some(value) = req.headers().get(header::CONTENT_ENCODING) else {
        return Ok(req);
    };
    let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
    // Codings apply in the order listed, so they are undone from the last one back.
    let mut codings = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match name.to_ascii_lowercase().as_str() {
            "identity" => {}
            "gzip" | "x-gzip" => codings.push(Coding::Gzip),
            "deflate" => codings.push(Coding::Deflate),
            _ => return Err(unsupported(name, soap_api)),
        }
    }
    let (mut parts, body) = req.into_parts();
    parts.headers.remove(header::CONTENT_ENCODING);
    if codings.is_empty() {
        return Ok(Request::from_parts(parts, body));
    }
    let mut bytes = axum::body::to_bytes(body, MAX_DECODED_BYTES)
        .await
        .map_err(|e| undecodable(&format!("the body could not be read: {e}"), soap_api))?
        .to_vec();
    // A bodiless request (a GET that names an encoding) has nothing to decompress.
    if !bytes.is_empty() {
        for coding in codings.into_iter().rev() {
            bytes = inflate(coding, &bytes).map_err(|message| undecodable(&message, soap_api))?;
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Undoes one coding, refusing output over [`MAX_DECODED_BYTES`] (a small body that inflates
/// to gigabytes never gets that far).
fn inflate(coding: Coding, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let limit = MAX_DECODED_BYTES as u64 + 1;
    let mut out = Vec::new();
    let read = match coding {
        Coding::Gzip => flate2::read::MultiGzDecoder::new(bytes)
            .take(limit)
            .read_to_end(&mut out),
        // HTTP's `deflate` is a zlib stream, but many clients send raw DEFLATE; both are read.
        Coding::Deflate if zlib_header(bytes) => flate2::read::ZlibDecoder::new(bytes)
            .take(limit)
            .read_to_end(&mut out),
        Coding::Deflate => flate2::read::DeflateDecoder::new(bytes)
            .take(limit)
            .read_to_end(&mut out),
    };
    let name = match coding {
        Coding::Gzip => "gzip",
        Coding::Deflate => "deflate",
    };
    read.map_err(|e| format!("the body is not valid {name} data: {e}"))?;
    if out.len() > MAX_DECODED_BYTES {
        return Err(format!(
            "the body decompresses to more than {MAX_DECODED_BYTES} bytes"
        ));
    }
    Ok(out)
}

/// Whether `bytes` start with a zlib header (RFC 1950: method 8, check bits).
fn zlib_header(bytes: &[u8]) -> bool {
    match bytes {
        [cmf, flg, ..] => cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
        _ => false,
    }
}

fn unsupported(name: &str, soap_api: bool) -> Response {
    let message = format!(
        "Content-Encoding of '{name}' is not supported by this resource; send the body as gzip, deflate or uncompressed"
    );
    if soap_api {
        soap::client_fault(&message)
    } else {
        sf_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            message,
        )
    }
}

fn undecodable(reason: &str, soap_api: bool) -> Response {
    let message = format!("Unable to decompress the request: {reason}");
    if soap_api {
        soap::client_fault(&message)
    } else {
        sf_error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message)
    }
}

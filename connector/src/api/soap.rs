//! SOAP (partner WSDL): `login()`, `query`/`queryAll`/`queryMore` envelopes and their answers.
//!
//! Responses are read into a small tree (local names, namespaces dropped): a query page
//! holds at most 2,000 records, so a tree is cheap and keeps the record walk simple.

use std::sync::Arc;

use quick_xml::Reader;
use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::Event;

use super::{ApiClient, Body, Call};
use crate::error::{Error, Result};

/// One XML element: local name, `xsi:nil`, text, children.
#[derive(Debug, Default, Clone)]
pub(crate) struct Node {
    pub name: String,
    pub nil: bool,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Depth-first search for the first element named `name`.
    pub(crate) fn find(&self, name: &str) -> Option<&Node> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }

    pub(crate) fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).filter(|c| !c.nil).map(|c| c.text.as_str())
    }
}

/// Parses a whole XML document into a tree.
pub(crate) fn parse_tree(body: &[u8]) -> Result<Node, String> {
    let mut reader = Reader::from_reader(body);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| e.to_string())?;
        match event {
            Event::Start(e) => stack.push(element(&e)?),
            Event::Empty(e) => {
                let node = element(&e)?;
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(node);
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or("unbalanced XML")?;
                let parent = stack.last_mut().ok_or("unbalanced XML")?;
                parent.children.push(node);
            }
            Event::Text(t) => {
                // Not `xml_content()`: its end-of-line normalization would turn a value's
                // CRLF into LF, and Salesforce text keeps CRLF (REST and Bulk show it).
                let s = t.decode().map_err(|e| e.to_string())?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                let s = t.decode().map_err(|e| e.to_string())?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| e.to_string())?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown entity &{name};"))?
                            .to_string()
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let mut root = stack.pop().ok_or("empty XML")?;
    if !stack.is_empty() {
        return Err("XML ended inside an element".into());
    }
    // Whitespace between elements is not content.
    trim_mixed(&mut root);
    Ok(root)
}

fn trim_mixed(node: &mut Node) {
    if !node.children.is_empty() {
        node.text.clear();
        node.children.iter_mut().for_each(trim_mixed);
    }
}

fn element(e: &quick_xml::events::BytesStart<'_>) -> Result<Node, String> {
    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let mut nil = false;
    for attr in e.attributes().flatten() {
        if attr.key.local_name().as_ref() == b"nil" {
            nil = attr.value.as_ref() == b"true" || attr.value.as_ref() == b"1";
        }
    }
    Ok(Node {
        name,
        nil,
        ..Node::default()
    })
}

/// The legacy `login()` request.
pub(crate) fn login_envelope(username: &str, password_and_token: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com">
<soapenv:Header><urn:CallOptions><urn:client>sfdf</urn:client></urn:CallOptions></soapenv:Header>
<soapenv:Body><urn:login><urn:username>{}</urn:username><urn:password>{}</urn:password></urn:login></soapenv:Body>
</soapenv:Envelope>"#,
        escape(username),
        escape(password_and_token)
    )
}

/// A `query`/`queryAll` (locator `None`) or `queryMore` request.
pub(crate) fn query_envelope(
    session_id: &str,
    soql: &str,
    all: bool,
    locator: Option<&str>,
    batch_size: u32,
) -> String {
    let body = match locator {
        Some(loc) => format!(
            "<urn:queryMore><urn:queryLocator>{}</urn:queryLocator></urn:queryMore>",
            escape(loc)
        ),
        None if all => format!(
            "<urn:queryAll><urn:queryString>{}</urn:queryString></urn:queryAll>",
            escape(soql)
        ),
        None => format!(
            "<urn:query><urn:queryString>{}</urn:queryString></urn:query>",
            escape(soql)
        ),
    };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com">
<soapenv:Header><urn:SessionHeader><urn:sessionId>{}</urn:sessionId></urn:SessionHeader><urn:QueryOptions><urn:batchSize>{batch_size}</urn:batchSize></urn:QueryOptions></soapenv:Header>
<soapenv:Body>{body}</soapenv:Body>
</soapenv:Envelope>"#,
        escape(session_id)
    )
}

/// What `login()` returned.
#[derive(Debug)]
pub(crate) struct LoginResult {
    pub session_id: String,
    pub server_url: String,
    pub user_id: Option<String>,
    pub org_id: Option<String>,
}

pub(crate) fn parse_login(body: &[u8]) -> Result<LoginResult, Error> {
    let tree = parse_tree(body).map_err(|m| Error::protocol("SOAP login", m))?;
    let result = tree
        .find("loginResponse")
        .and_then(|r| r.child("result"))
        .ok_or_else(|| Error::protocol("SOAP login", "no loginResponse/result"))?;
    let field = |n: &str| result.child_text(n).map(str::to_string);
    Ok(LoginResult {
        session_id: field("sessionId")
            .ok_or_else(|| Error::protocol("SOAP login", "no sessionId"))?,
        server_url: field("serverUrl")
            .ok_or_else(|| Error::protocol("SOAP login", "no serverUrl"))?,
        user_id: field("userId"),
        org_id: result
            .child("userInfo")
            .and_then(|u| u.child_text("organizationId"))
            .map(str::to_string),
    })
}

/// A SOAP fault body → [`Error::SoapFault`].
pub(crate) fn parse_fault(body: &[u8], status: u16) -> Option<Error> {
    let tree = parse_tree(body).ok()?;
    let fault = tree.find("Fault")?;
    let code = fault
        .find("exceptionCode")
        .map(|n| n.text.clone())
        .or_else(|| fault.child_text("faultcode").map(str::to_string))?;
    let code = code.rsplit(':').next().unwrap_or(&code).to_string();
    let message = fault
        .child_text("faultstring")
        .map(str::to_string)
        .or_else(|| fault.find("exceptionMessage").map(|n| n.text.clone()))
        .unwrap_or_default();
    Some(Error::SoapFault {
        code,
        message,
        status,
    })
}

/// `<LimitInfoHeader><limitInfo><current>..<limit>..<type>API REQUESTS`.
pub(crate) fn limit_info(tree: &Node) -> Option<(u64, u64)> {
    let header = tree.find("LimitInfoHeader")?;
    header
        .children
        .iter()
        .filter(|c| c.name == "limitInfo")
        .find_map(|li| {
            (li.child_text("type")? == "API REQUESTS")
                .then(|| {
                    Some((
                        li.child_text("current")?.parse().ok()?,
                        li.child_text("limit")?.parse().ok()?,
                    ))
                })
                .flatten()
        })
}

/// One page of a SOAP query.
#[derive(Debug)]
pub(crate) struct QueryPage {
    pub done: bool,
    pub locator: Option<String>,
    pub records: Vec<Node>,
    pub usage: Option<(u64, u64)>,
    /// Rows the whole query matches (`size`); the answer of `SELECT COUNT() ..`.
    pub size: Option<u64>,
}

pub(crate) fn parse_query(body: &[u8]) -> Result<QueryPage, Error> {
    let tree = parse_tree(body).map_err(|m| Error::protocol("SOAP query", m))?;
    let result = ["queryResponse", "queryAllResponse", "queryMoreResponse"]
        .iter()
        .find_map(|n| tree.find(n))
        .and_then(|r| r.child("result"))
        .ok_or_else(|| Error::protocol("SOAP query", "no query result in the response"))?;
    let done = result.child_text("done").is_some_and(|d| d == "true");
    let locator = result
        .child_text("queryLocator")
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    Ok(QueryPage {
        done,
        locator: if done { None } else { locator },
        records: result
            .children
            .iter()
            .filter(|c| c.name == "records")
            .cloned()
            .collect(),
        usage: limit_info(&tree),
        size: result
            .child_text("size")
            .and_then(|n| n.trim().parse().ok()),
    })
}

/// The value of a dotted path (`Owner.Name`) in a SOAP record; `None` = null.
pub(crate) fn record_value<'a>(record: &'a Node, path: &str) -> Option<&'a str> {
    let mut cur = record;
    for part in path.split('.') {
        // Partner records list `Id` twice; the first is as good as the second.
        cur = cur.children.iter().find(|c| c.name == part).or_else(|| {
            cur.children
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(part))
        })?;
        if cur.nil {
            return None;
        }
    }
    if cur.children.is_empty() {
        Some(cur.text.as_str())
    } else {
        None
    }
}

/// One SOAP `query`/`queryAll` page, or the next through `queryMore`.
pub(crate) async fn query(
    client: &ApiClient,
    soql: &str,
    all: bool,
    locator: Option<&str>,
) -> Result<QueryPage> {
    if locator.is_none() {
        soql::check_length(soql)?;
    }
    let soql_owned = soql.to_string();
    let loc = locator.map(str::to_string);
    let call = Call {
        method: reqwest::Method::POST,
        target: format!("/services/Soap/u/{}", client.version()),
        body: Body::Soap(Arc::new(move |sid| {
            query_envelope(sid, &soql_owned, all, loc.as_deref(), 2000)
        })),
        accept: "text/xml",
        context: if locator.is_some() {
            "SOAP queryMore".into()
        } else {
            "SOAP query".into()
        },
    };
    let (_, body) = client.send_bytes(&call).await?;
    let page = parse_query(&body)?;
    if let Some((used, limit)) = page.usage {
        client.note_usage(used, limit);
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        sfdf_fixtures::bytes(&format!("soap/{name}"))
    }

    #[test]
    fn login_fixture_gives_session_and_server() {
        let r = parse_login(&fixture("login.partner.success.soapforce-v28.xml")).unwrap();
        assert!(r.server_url.starts_with("https://"));
        assert!(!r.session_id.is_empty());
    }

    #[test]
    fn faults_with_and_without_prefix() {
        let e = parse_fault(&fixture("fault.INVALID_SESSION_ID.metaforce.xml"), 500).unwrap();
        assert_eq!(e.error_code(), Some("INVALID_SESSION_ID"));
        let e = parse_fault(&fixture("fault.INVALID_LOGIN.metaforce.xml"), 500).unwrap();
        assert_eq!(e.error_code(), Some("INVALID_LOGIN"));
        let bare = br#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: bad</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
        assert_eq!(
            parse_fault(bare, 500).unwrap().error_code(),
            Some("INVALID_LOGIN")
        );
    }

    #[test]
    fn query_fixtures_parse_records_and_cursor() {
        for name in [
            "query.partner.soapforce.xml",
            "query_more.partner.soapforce.xml",
            "query_all.partner.soapforce.xml",
        ] {
            let page = parse_query(&fixture(name)).unwrap();
            assert!(!page.records.is_empty(), "{name}");
            assert!(page.done || page.locator.is_some(), "{name}");
        }
    }

    #[test]
    fn record_values_handle_nil_entities_and_parents() {
        let body = br#"<e xmlns:xsi="x"><queryResponse><result><done>true</done><queryLocator xsi:nil="true"/>
          <records><sf:type>Account</sf:type><sf:Id>001A</sf:Id><sf:Id>001A</sf:Id><sf:Name>Acme &amp; Co &#x263A;</sf:Name>
          <sf:Phone xsi:nil="true"/><sf:Owner><sf:type>User</sf:type><sf:Id xsi:nil="true"/><sf:Name>Jane</sf:Name></sf:Owner>
          <sf:Parent xsi:nil="true"/></records><size>1</size></result></queryResponse></e>"#;
        let page = parse_query(body).unwrap();
        assert!(page.done);
        assert_eq!(page.locator, None);
        let r = &page.records[0];
        assert_eq!(record_value(r, "Id"), Some("001A"));
        assert_eq!(record_value(r, "Name"), Some("Acme & Co \u{263A}"));
        assert_eq!(record_value(r, "Phone"), None);
        assert_eq!(record_value(r, "Owner.Name"), Some("Jane"));
        assert_eq!(record_value(r, "Parent.Name"), None);
    }
}

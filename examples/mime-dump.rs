//! Prints the part tree and main headers of a message.
//!
//! ```text
//! cargo run --example mime-dump -- FILE.eml          # tree and headers
//! cargo run --example mime-dump -- --json FILE.eml   # one JSON object
//! ```
//!
//! The JSON lists leaf parts only; `size` is the size of the decoded content, `text` is
//! given for `text/*` parts (converted to UTF-8) and `sha256` for the others (of the
//! decoded bytes). Files uuencoded inside a text part are listed with it as that part's
//! `uuencoded` attachments (name, mode, size, sha256), its text kept whole. `-` reads the
//! message from standard input.

#![allow(
    clippy::print_stdout,
    reason = "a command-line tool prints its results"
)]

use std::io::Read;
use std::process::ExitCode;

use mailwire::mime::{Address, Message, Part, PartKind, mailboxes};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn addresses(list: &[Address]) -> Value {
    Value::Array(
        mailboxes(list)
            .into_iter()
            .map(|m| json!({"name": m.name, "address": m.address()}))
            .collect(),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn leaf_json(p: &Part<'_>) -> Value {
    let mut obj = json!({
        "part": p.number().to_string(),
        "content_type": p.content_type().mime_type(),
        "charset": p.content_type().charset(),
        "encoding": p.header().content_transfer_encoding().map(|e| e.as_str().to_owned()),
        "filename": p.filename(),
        "size": p.decoded().len(),
    });
    if let Some(map) = obj.as_object_mut() {
        match p.text() {
            Some(text) => map.insert("text".into(), json!(text)),
            None => map.insert("sha256".into(), json!(hex(&Sha256::digest(p.decoded())))),
        };
        if !p.uuencoded().is_empty() {
            let files: Vec<Value> = p
                .uuencoded()
                .iter()
                .map(|f| {
                    json!({
                        "name": f.name,
                        "mode": format!("{:o}", f.mode),
                        "size": f.data.len(),
                        "sha256": hex(&Sha256::digest(&f.data)),
                    })
                })
                .collect();
            map.insert("uuencoded".into(), Value::Array(files));
        }
    }
    obj
}

fn to_json(m: &Message<'_>) -> Value {
    json!({
        "subject": m.subject(),
        "from": addresses(&m.from()),
        "to": addresses(&m.to()),
        "cc": addresses(&m.cc()),
        "date": m.date().map(|d| d.to_rfc3339()),
        "message_id": m.message_id(),
        "defects": m.defects().iter().map(|(n, d)| if n.is_empty() { d.to_string() } else { format!("{n}: {d}") }).collect::<Vec<_>>(),
        "parts": m.leaves().map(leaf_json).collect::<Vec<_>>(),
    })
}

fn print_tree(m: &Message<'_>) {
    let list = |l: Vec<Address>| {
        mailboxes(&l)
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("Subject:    {}", m.subject().unwrap_or_default());
    println!("From:       {}", list(m.from()));
    println!("To:         {}", list(m.to()));
    println!("Cc:         {}", list(m.cc()));
    println!(
        "Date:       {}",
        m.date().map(|d| d.to_rfc3339()).unwrap_or_default()
    );
    println!("Message-ID: {}", m.message_id().unwrap_or_default());
    println!();
    let mut stack: Vec<(&Part<'_>, usize)> = vec![(m.root(), 0)];
    while let Some((p, depth)) = stack.pop() {
        let number = if p.number().is_empty() {
            "-".to_owned()
        } else {
            p.number().to_string()
        };
        let mut line = format!(
            "{number:<10}{}{}",
            "  ".repeat(depth),
            p.content_type().mime_type()
        );
        if let Some(c) = p.content_type().charset() {
            line.push_str(&format!(" charset={c}"));
        }
        line.push_str(&format!(
            " encoding={} size={}",
            p.transfer_encoding(),
            p.body_size()
        ));
        if let Some(f) = p.filename() {
            line.push_str(&format!(" filename={f:?}"));
        }
        for d in p.defects() {
            line.push_str(&format!(" [{d}]"));
        }
        println!("{line}");
        for f in p.uuencoded() {
            println!(
                "{:<10}{}uuencoded {:?} size={}",
                "",
                "  ".repeat(depth + 1),
                f.name,
                f.data.len()
            );
        }
        match p.kind() {
            PartKind::Multipart { parts, .. } => {
                stack.extend(parts.iter().rev().map(|c| (c, depth + 1)));
            }
            PartKind::Message(inner) => stack.push((inner, depth + 1)),
            _ => {}
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let Some(path) = args.iter().find(|a| *a != "--json") else {
        eprintln!("usage: mime-dump [--json] FILE.eml");
        return ExitCode::from(2);
    };
    let mut raw = Vec::new();
    let read = if path == "-" {
        std::io::stdin().read_to_end(&mut raw).map(|_| ())
    } else {
        std::fs::read(path).map(|b| raw = b)
    };
    if let Err(e) = read {
        eprintln!("mime-dump: {path}: {e}");
        return ExitCode::FAILURE;
    }
    let msg = Message::parse(&raw);
    if json {
        println!("{}", to_json(&msg));
    } else {
        print_tree(&msg);
    }
    ExitCode::SUCCESS
}

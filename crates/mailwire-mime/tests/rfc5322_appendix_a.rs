//! RFC 5322 Appendix A: the example messages, read back field by field.

use mailwire_mime::{Address, Group, Mailbox, Message};

fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

fn mb(name: Option<&str>, addr: &str) -> Mailbox {
    Mailbox::new(name, addr)
}

fn single(name: Option<&str>, addr: &str) -> Vec<Address> {
    vec![Address::Mailbox(mb(name, addr))]
}

#[test]
fn a_1_1_a_message_from_one_person_to_another() {
    let raw = crlf(
        "From: John Doe <jdoe@machine.example>
To: Mary Smith <mary@example.net>
Subject: Saying Hello
Date: Fri, 21 Nov 1997 09:55:06 -0600
Message-ID: <1234@local.machine.example>

This is a message just to say hello.
So, \"Hello\".
",
    );
    let m = Message::parse(&raw);
    assert_eq!(m.from(), single(Some("John Doe"), "jdoe@machine.example"));
    assert_eq!(m.to(), single(Some("Mary Smith"), "mary@example.net"));
    assert_eq!(m.subject().as_deref(), Some("Saying Hello"));
    assert_eq!(
        m.date().map(|d| d.to_rfc3339()).as_deref(),
        Some("1997-11-21T09:55:06-06:00")
    );
    assert_eq!(m.date().map(|d| d.timestamp()), Some(880_127_706));
    assert_eq!(
        m.message_id().as_deref(),
        Some("1234@local.machine.example")
    );
    assert_eq!(
        m.text_body().as_deref(),
        Some("This is a message just to say hello.\r\nSo, \"Hello\".\r\n")
    );
    assert!(m.defects().is_empty());
    // An unmodified header is written back byte for byte.
    let fields: Vec<u8> = m
        .header()
        .fields()
        .iter()
        .flat_map(|f| f.raw().to_vec())
        .collect();
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("separator")
        + 2;
    assert_eq!(fields, raw[..end].to_vec());
    assert_eq!([fields.as_slice(), b"\r\n"].concat(), m.header().raw());
}

#[test]
fn a_1_2_different_types_of_mailboxes() {
    let raw = crlf(
        "From: \"Joe Q. Public\" <john.q.public@example.com>
To: Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>
Cc: <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>
Date: Tue, 1 Jul 2003 10:52:37 +0200
Message-ID: <5678.21-Nov-1997@example.com>

Hi everyone.
",
    );
    let m = Message::parse(&raw);
    assert_eq!(
        m.from(),
        single(Some("Joe Q. Public"), "john.q.public@example.com")
    );
    assert_eq!(
        m.to(),
        vec![
            Address::Mailbox(mb(Some("Mary Smith"), "mary@x.test")),
            Address::Mailbox(mb(None, "jdoe@example.org")),
            Address::Mailbox(mb(Some("Who?"), "one@y.test")),
        ]
    );
    assert_eq!(
        m.cc(),
        vec![
            Address::Mailbox(mb(None, "boss@nil.test")),
            Address::Mailbox(mb(Some("Giant; \"Big\" Box"), "sysservices@example.net")),
        ]
    );
    assert_eq!(
        m.date().map(|d| d.to_rfc3339()).as_deref(),
        Some("2003-07-01T10:52:37+02:00")
    );
}

#[test]
fn a_1_3_group_addresses() {
    let raw = crlf(
        "From: Pete <pete@silly.example>
To: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;
Cc: Undisclosed recipients:;
Date: Thu, 13 Feb 1969 23:32:54 -0330
Message-ID: <testabcd.1234@silly.example>

Testing.
",
    );
    let m = Message::parse(&raw);
    assert_eq!(
        m.to(),
        vec![Address::Group(Group {
            name: "A Group".into(),
            members: vec![
                mb(Some("Ed Jones"), "c@a.test"),
                mb(None, "joe@where.test"),
                mb(Some("John"), "jdoe@one.test")
            ],
        })]
    );
    assert_eq!(
        m.cc(),
        vec![Address::Group(Group {
            name: "Undisclosed recipients".into(),
            members: vec![]
        })]
    );
    let d = m.date().expect("date");
    assert_eq!(d.offset_minutes(), -210);
    assert_eq!(d.to_rfc3339(), "1969-02-13T23:32:54-03:30");
}

#[test]
fn a_2_reply_messages() {
    let raw = crlf(
        "From: Mary Smith <mary@example.net>
To: John Doe <jdoe@machine.example>
Reply-To: \"Mary Smith: Personal Account\" <smith@home.example>
Subject: Re: Saying Hello
Date: Fri, 21 Nov 1997 10:01:10 -0600
Message-ID: <3456@example.net>
In-Reply-To: <1234@local.machine.example>
References: <1234@local.machine.example>

This is a reply to your hello.
",
    );
    let m = Message::parse(&raw);
    assert_eq!(
        m.reply_to(),
        single(Some("Mary Smith: Personal Account"), "smith@home.example")
    );
    assert_eq!(m.in_reply_to(), vec!["1234@local.machine.example"]);
    assert_eq!(m.references(), vec!["1234@local.machine.example"]);
    let env = m.envelope();
    assert_eq!(env.subject.as_deref(), Some("Re: Saying Hello"));
    assert_eq!(env.message_id.as_deref(), Some("3456@example.net"));
    assert_eq!(
        env.date_raw.as_deref(),
        Some("Fri, 21 Nov 1997 10:01:10 -0600")
    );
    assert!(env.sender.is_empty());

    let raw = crlf(
        "To: \"Mary Smith: Personal Account\" <smith@home.example>
From: John Doe <jdoe@machine.example>
Subject: Re: Saying Hello
Date: Fri, 21 Nov 1997 11:00:00 -0600
Message-ID: <abcd.1234@local.machine.test>
In-Reply-To: <3456@example.net>
References: <1234@local.machine.example> <3456@example.net>

This is a reply to your reply.
",
    );
    let m = Message::parse(&raw);
    assert_eq!(
        m.references(),
        vec!["1234@local.machine.example", "3456@example.net"]
    );
}

#[test]
fn a_3_resent_messages_keep_every_field() {
    let raw = crlf(
        "Resent-From: Mary Smith <mary@example.net>
Resent-To: Jane Brown <j-brown@other.example>
Resent-Date: Mon, 24 Nov 1997 14:22:01 -0800
Resent-Message-ID: <78910@example.net>
From: John Doe <jdoe@machine.example>
To: Mary Smith <mary@example.net>
Subject: Saying Hello
Date: Fri, 21 Nov 1997 09:55:06 -0600
Message-ID: <1234@local.machine.example>

This is a message just to say hello.
",
    );
    let m = Message::parse(&raw);
    assert_eq!(m.header().fields().len(), 9);
    assert_eq!(
        m.header().addresses("Resent-To"),
        single(Some("Jane Brown"), "j-brown@other.example")
    );
    assert_eq!(
        m.header().get("resent-message-id").map(|f| f.raw_value()),
        Some(&b" <78910@example.net>"[..])
    );
}

#[test]
fn a_4_messages_with_trace_fields() {
    let raw = crlf(
        "Received: from x.y.test
   by example.net
   via TCP
   with ESMTP
   id ABC12345
   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600
Received: from node.example by x.y.test; 21 Nov 1997 10:01:22 -0600
From: John Doe <jdoe@node.example>
To: Mary Smith <mary@example.net>
Subject: Saying Hello
Date: Fri, 21 Nov 1997 09:55:06 -0600
Message-ID: <1234@local.node.example>

This is a message just to say hello.
",
    );
    let m = Message::parse(&raw);
    let received: Vec<_> = m.header().get_all("Received").collect();
    assert_eq!(received.len(), 2);
    assert_eq!(
        &*received[0].unfolded(),
        &b"from x.y.test   by example.net   via TCP   with ESMTP   id ABC12345   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600"[..]
    );
    let second = raw
        .windows(19)
        .position(|w| w == b"Received: from node")
        .expect("second field");
    assert_eq!(received[1].offset(), second);
    assert_eq!(second, 143);
}

#[test]
fn a_5_white_space_comments_and_other_oddities() {
    let raw = crlf(
        "From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>
To:A Group(Some people)
     :Chris Jones <c@(Chris's host.)public.example>,
         joe@example.org,
  John <jdoe@one.test> (my dear friend); (the end of the group)
Cc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;
Date: Thu,
      13
        Feb
          1969
      23:32
               -0330 (Newfoundland Time)
Message-ID:              <testabcd.1234@silly.test>

Testing.
",
    );
    let m = Message::parse(&raw);
    assert_eq!(m.from(), single(Some("Pete"), "pete@silly.test"));
    assert_eq!(
        m.to(),
        vec![Address::Group(Group {
            name: "A Group".into(),
            members: vec![
                mb(Some("Chris Jones"), "c@public.example"),
                mb(None, "joe@example.org"),
                mb(Some("John"), "jdoe@one.test")
            ],
        })]
    );
    assert_eq!(
        m.cc(),
        vec![Address::Group(Group {
            name: "Hidden recipients".into(),
            members: vec![]
        })]
    );
    assert_eq!(
        m.date().map(|d| d.to_rfc3339()).as_deref(),
        Some("1969-02-13T23:32:00-03:30")
    );
    assert_eq!(m.message_id().as_deref(), Some("testabcd.1234@silly.test"));
}

#[test]
fn a_6_1_obsolete_addressing() {
    let raw = crlf(
        "From: Joe Q. Public <john.q.public@example.com>
To: Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example
Date: Tue, 1 Jul 2003 10:52:37 +0200
Message-ID: <5678.21-Nov-1997@example.com>

Hi everyone.
",
    );
    let m = Message::parse(&raw);
    assert_eq!(
        m.from(),
        single(Some("Joe Q. Public"), "john.q.public@example.com")
    );
    let to = m.to();
    assert_eq!(to.len(), 2);
    let Address::Mailbox(mary) = &to[0] else {
        panic!("mailbox expected: {to:?}")
    };
    assert_eq!(mary.route, vec!["node.test".to_owned()]);
    assert_eq!(mary.address(), "mary@example.net");
    assert_eq!(to[1], Address::Mailbox(mb(None, "jdoe@test.example")));
}

#[test]
fn a_6_2_obsolete_dates() {
    let raw = crlf(
        "From: John Doe <jdoe@machine.example>
To: Mary Smith <mary@example.net>
Subject: Saying Hello
Date: 21 Nov 97 09:55:06 GMT
Message-ID: <1234@local.machine.example>

This is a message just to say hello.
",
    );
    let m = Message::parse(&raw);
    assert_eq!(
        m.date().map(|d| d.to_rfc3339()).as_deref(),
        Some("1997-11-21T09:55:06+00:00")
    );
}

#[test]
fn a_6_3_obsolete_white_space_and_comments() {
    let raw = crlf(
        "From           : John Doe <jdoe@machine(comment).  example>
To             : Mary Smith
  \n          <mary@example.net>
Subject        : Saying Hello
Date           : Fri, 21 Nov 1997 09(comment):   55  :  06 -0600
Message-ID     : <1234   @   local(blah)  .machine .example>

This is a message just to say hello.
So, \"Hello\".
",
    );
    let m = Message::parse(&raw);
    assert_eq!(m.from(), single(Some("John Doe"), "jdoe@machine.example"));
    assert_eq!(m.to(), single(Some("Mary Smith"), "mary@example.net"));
    assert_eq!(m.subject().as_deref(), Some("Saying Hello"));
    assert_eq!(
        m.date().map(|d| d.to_rfc3339()).as_deref(),
        Some("1997-11-21T09:55:06-06:00")
    );
    assert_eq!(
        m.message_id().as_deref(),
        Some("1234@local.machine.example")
    );
    assert!(m.defects().is_empty(), "{:?}", m.defects());
}

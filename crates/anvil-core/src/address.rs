//! Addresses: `[@org/]project/prompt_set[@spec][/prompt]`.
//!
//! Without `@org/` the organisation is the caller's. Without `@spec` the address means the
//! working copy (editors and tests; applications pin a spec).

use std::fmt;

use crate::slug;
use crate::version::VersionSpec;

#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub organisation: Option<String>,
    pub project: String,
    pub prompt_set: String,
    pub spec: Option<VersionSpec>,
    pub prompt: Option<String>,
}

/// What is wrong with an address, naming the part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid address '{address}': {part} {reason}")]
pub struct AddressError {
    pub address: String,
    pub part: &'static str,
    pub reason: String,
}

/// Longest address accepted (well above any valid one: four 64-character slugs and a spec).
pub const MAX_LEN: usize = 512;

impl Address {
    pub fn parse(s: &str) -> Result<Address, AddressError> {
        let err = |part: &'static str, reason: String| AddressError {
            address: s.chars().take(80).collect(),
            part,
            reason,
        };
        if s.len() > MAX_LEN {
            return Err(err(
                "address",
                format!("is longer than {MAX_LEN} characters"),
            ));
        }
        let (organisation, rest) = match s.strip_prefix('@') {
            Some(r) => match r.split_once('/') {
                Some((org, rest)) => (Some(org), rest),
                None => {
                    return Err(err(
                        "address",
                        "needs a project after the organisation".into(),
                    ));
                }
            },
            None => (None, s),
        };
        let (project, rest) = rest.split_once('/').ok_or_else(|| {
            err(
                "address",
                "must be project/prompt_set[@spec][/prompt]".into(),
            )
        })?;
        let (set, spec, prompt) = match rest.split_once('@') {
            Some((set, after)) => {
                let (spec, prompt) = match after.split_once('/') {
                    Some((spec, prompt)) => (spec, Some(prompt)),
                    None => (after, None),
                };
                (set, Some(spec), prompt)
            }
            None => match rest.split_once('/') {
                Some((set, prompt)) => (set, None, Some(prompt)),
                None => (rest, None, None),
            },
        };
        let check = |part: &'static str, v: &str| slug::check(v).map_err(|r| err(part, r));
        if let Some(o) = organisation {
            check("organisation", o)?;
        }
        check("project", project)?;
        check("prompt set", set)?;
        if let Some(p) = prompt {
            check("prompt", p)?;
        }
        let spec = spec
            .map(|sp| VersionSpec::parse(sp).map_err(|r| err("version spec", r)))
            .transpose()?;
        Ok(Address {
            organisation: organisation.map(str::to_string),
            project: project.to_string(),
            prompt_set: set.to_string(),
            spec,
            prompt: prompt.map(str::to_string),
        })
    }

    /// The address as a URL path segment sequence: spaces, `<`, `>`, `,` and other
    /// characters outside the address alphabet are percent-encoded; `@ ^ ~ * /` stay.
    pub fn to_url_path(&self) -> String {
        percent_encode(&self.to_string())
    }
}

/// Percent-encodes everything but letters, digits and `-._~@^*/=+:`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@^*/=+:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(o) = &self.organisation {
            write!(f, "@{o}/")?;
        }
        write!(f, "{}/{}", self.project, self.prompt_set)?;
        if let Some(s) = &self.spec {
            write!(f, "@{s}")?;
        }
        if let Some(p) = &self.prompt {
            write!(f, "/{p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Address {
        Address::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_form_parses_and_round_trips() {
        let a = parse("support/emails");
        assert_eq!(
            (a.project.as_str(), a.prompt_set.as_str()),
            ("support", "emails")
        );
        assert_eq!((a.organisation, a.spec, a.prompt), (None, None, None));

        let a = parse("@acme/support/emails@^1.2/welcome");
        assert_eq!(a.organisation.as_deref(), Some("acme"));
        assert!(matches!(a.spec, Some(VersionSpec::Req(_))));
        assert_eq!(a.prompt.as_deref(), Some("welcome"));

        let a = parse("support/emails/error.not_found");
        assert_eq!(a.prompt.as_deref(), Some("error.not_found"));
        assert_eq!(a.spec, None);

        let a = parse("support/emails@production");
        assert_eq!(a.spec, Some(VersionSpec::Channel("production".into())));

        for s in [
            "support/emails",
            "@acme/support/emails@1.2.0/welcome",
            "support/emails@latest",
            "support/emails@stable/x",
            "support/emails@>=1.0, <2.0/welcome",
            "support/emails/welcome",
        ] {
            assert_eq!(parse(s).to_string(), s, "round trip");
        }
        assert_eq!(
            parse("support/emails@v1.2.0").to_string(),
            "support/emails@1.2.0"
        );
    }

    #[test]
    fn bad_addresses_name_the_part() {
        let cases = [
            ("support", "address"),
            ("@acme", "address"),
            ("@Acme/support/emails", "organisation"),
            ("Support/emails", "project"),
            ("support/", "prompt set"),
            ("support/emails@", "version spec"),
            ("support/emails@^x", "version spec"),
            ("support/emails/Welcome", "prompt"),
            ("support/emails/a/b", "prompt"),
            ("support/emails@1.0.0/", "prompt"),
        ];
        for (s, part) in cases {
            match Address::parse(s) {
                Ok(a) => panic!("{s} parsed as {a:?}"),
                Err(e) => assert_eq!(e.part, part, "{s}: {e}"),
            }
        }
        assert!(Address::parse(&"a/".repeat(300)).is_err());
    }

    #[test]
    fn url_paths_encode_what_http_needs() {
        let a = parse("support/emails@>=1.0, <2.0/welcome");
        assert_eq!(
            a.to_url_path(),
            "support/emails@%3E=1.0%2C%20%3C2.0/welcome"
        );
        assert_eq!(parse("@acme/s/e@^1.2/w").to_url_path(), "@acme/s/e@^1.2/w");
    }
}

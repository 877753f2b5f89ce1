//! The catalogue interchange format (`docs/data-format.md`): the record types as they appear in JSON Lines
//! and CSV files, and the rules a record must obey before it may be stored.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest abstract or first claim, in characters.
pub const MAX_ABSTRACT: usize = 20_000;
/// Longest short text field (institution, industry, a keyword, an inventor, a contact field).
pub const MAX_SHORT: usize = 200;
/// Most entries in one list field (keywords, ipc, inventors, contacts).
pub const MAX_LIST: usize = 200;

/// One problem with one field of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatentType {
    Invention,
    UtilityModel,
    Design,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalStatus {
    Granted,
    Pending,
    Lapsed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenseMode {
    Transfer,
    Exclusive,
    Sole,
    Ordinary,
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payment {
    LumpSum,
    Royalty,
    EntryPlusRoyalty,
}

/// Maps the snake_case names used in files and in the database to and from the enums above.
macro_rules! names {
    ($ty:ty { $($variant:ident = $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $name),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($name => Some(<$ty>::$variant),)+ _ => None }
            }
            /// The accepted names, for error messages.
            pub fn names() -> String {
                [$($name),+].join(", ")
            }
        }
    };
}
names!(PatentType { Invention = "invention", UtilityModel = "utility_model", Design = "design" });
names!(LegalStatus { Granted = "granted", Pending = "pending", Lapsed = "lapsed" });
names!(LicenseMode { Transfer = "transfer", Exclusive = "exclusive", Sole = "sole", Ordinary = "ordinary", Open = "open" });
names!(Payment { LumpSum = "lump_sum", Royalty = "royalty", EntryPlusRoyalty = "entry_plus_royalty" });

/// Published terms of an open licence (开放许可): anyone may take them as they stand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenLicense {
    pub payment: Payment,
    #[serde(default)]
    pub fee_cny: Option<i64>,
    #[serde(default)]
    pub royalty_percent: Option<f64>,
    pub term_years: i64,
}

/// Two-way evaluation: the institution's own stars and the enterprises' (both 5 = 双五星).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    pub institution: i64,
    #[serde(default)]
    pub enterprise: Option<i64>,
}

impl Rating {
    /// 双五星: five stars from the institution and from enterprises.
    pub fn is_double_five(&self) -> bool {
        self.institution == 5 && self.enterprise == Some(5)
    }
}

/// A patent as it appears in the interchange format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatentRecord {
    pub number: String,
    pub title: String,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    #[serde(default)]
    pub claims: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub ipc: Vec<String>,
    pub patent_type: PatentType,
    pub legal_status: LegalStatus,
    pub institution: String,
    #[serde(default)]
    pub inventors: Vec<String>,
    #[serde(default)]
    pub application_date: Option<NaiveDate>,
    #[serde(default)]
    pub industry: String,
    pub license_modes: Vec<LicenseMode>,
    #[serde(default)]
    pub open_license: Option<OpenLicense>,
    #[serde(default)]
    pub asking_price_cny: Option<i64>,
    #[serde(default)]
    pub rating: Option<Rating>,
}

/// A tech-transfer contact of an institution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactRecord {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub telegram_chat_id: Option<i64>,
}

/// A patent-owning institution as it appears in the interchange format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionRecord {
    pub name: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub contacts: Vec<ContactRecord>,
}

/// Packs a valid publication number (`CN` + 9 digits + kind code) into an integer, so that a whole file's
/// numbers can be checked for duplicates in little memory.
pub fn number_key(number: &str) -> Option<u64> {
    let rest = number.strip_prefix("CN")?;
    if rest.len() != 10 {
        return None;
    }
    let (digits, kind) = rest.split_at(9);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let kind = "ABCUYS".find(kind)? as u64;
    Some(digits.parse::<u64>().ok()? * 8 + kind)
}

fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, min: usize, max: usize) {
    // PostgreSQL text cannot hold U+0000: caught here, the record is rejected (and skippable) instead of
    // failing the whole file's transaction with a raw database error.
    if value.contains('\0') {
        errors.push(FieldError::new(field, "contains a NUL character"));
    }
    let chars = value.chars().count();
    if chars < min || value.trim().is_empty() && min > 0 {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if chars > max {
        errors.push(FieldError::new(
            field,
            format!("{chars} characters, more than the limit of {max}"),
        ));
    }
}

fn check_list(errors: &mut Vec<FieldError>, field: &str, values: &[String]) {
    if values.len() > MAX_LIST {
        errors.push(FieldError::new(
            field,
            format!(
                "{} entries, more than the limit of {MAX_LIST}",
                values.len()
            ),
        ));
        return;
    }
    for (i, v) in values.iter().enumerate() {
        check_text(errors, &format!("{field}[{i}]"), v, 1, MAX_SHORT);
        // Keywords, IPC codes and names are one-line labels; a control character is always a data error.
        if v.chars().any(char::is_control) {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "contains a control character",
            ));
        }
    }
}

impl PatentRecord {
    /// Every rule of the format that serde's types do not already enforce. Empty when the record is valid.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if number_key(&self.number).is_none() {
            errors.push(FieldError::new(
                "number",
                format!(
                    "`{}` is not a publication number: CN + 9 digits + kind code A, B, C, U, Y or S (e.g. CN113914863A)",
                    truncate(&self.number, 40)
                ),
            ));
        }
        // Real source data has a few records with an empty title or abstract (the sample: 3 and 1); they are
        // accepted as long as the record still has some text to match and show.
        check_text(&mut errors, "title", &self.title, 0, MAX_TITLE);
        check_text(
            &mut errors,
            "abstract",
            &self.abstract_text,
            0,
            MAX_ABSTRACT,
        );
        if let Some(claims) = &self.claims {
            check_text(&mut errors, "claims", claims, 0, MAX_ABSTRACT);
        }
        let has_text = |s: &str| !s.trim().is_empty();
        if !has_text(&self.title) && !has_text(&self.abstract_text) {
            errors.push(FieldError::new(
                "abstract",
                "title and abstract are both empty; a record needs one of them",
            ));
        }
        check_list(&mut errors, "keywords", &self.keywords);
        check_list(&mut errors, "ipc", &self.ipc);
        check_list(&mut errors, "inventors", &self.inventors);
        check_text(&mut errors, "institution", &self.institution, 1, MAX_SHORT);
        check_text(&mut errors, "industry", &self.industry, 0, MAX_SHORT);

        if self.license_modes.is_empty() {
            errors.push(FieldError::new(
                "license_modes",
                "at least one licence mode is required",
            ));
        }
        for (i, mode) in self.license_modes.iter().enumerate() {
            if self.license_modes[..i].contains(mode) {
                errors.push(FieldError::new(
                    "license_modes",
                    format!("`{}` is listed twice", mode.as_str()),
                ));
            }
        }
        let open = self.license_modes.contains(&LicenseMode::Open);
        if open && self.legal_status != LegalStatus::Granted {
            errors.push(FieldError::new(
                "license_modes",
                format!(
                    "an open licence is only offered on a granted patent, this one is {}",
                    self.legal_status.as_str()
                ),
            ));
        }
        for exclusive in [LicenseMode::Exclusive, LicenseMode::Sole] {
            if open && self.license_modes.contains(&exclusive) {
                errors.push(FieldError::new(
                    "license_modes",
                    format!(
                        "an open licence cannot be offered together with a {} licence",
                        exclusive.as_str()
                    ),
                ));
            }
        }
        match (&self.open_license, open) {
            (None, true) => errors.push(FieldError::new(
                "open_license",
                "required when license_modes includes open",
            )),
            (Some(_), false) => errors.push(FieldError::new(
                "open_license",
                "must be null unless license_modes includes open",
            )),
            (Some(terms), true) => terms.validate(&mut errors),
            (None, false) => {}
        }
        if let Some(price) = self.asking_price_cny
            && price < 0
        {
            errors.push(FieldError::new("asking_price_cny", "must not be negative"));
        }
        if let Some(rating) = &self.rating {
            if !(1..=5).contains(&rating.institution) {
                errors.push(FieldError::new(
                    "rating.institution",
                    format!("{} is outside 1..5", rating.institution),
                ));
            }
            if let Some(e) = rating.enterprise
                && !(1..=5).contains(&e)
            {
                errors.push(FieldError::new(
                    "rating.enterprise",
                    format!("{e} is outside 1..5"),
                ));
            }
        }
        errors
    }
}

impl OpenLicense {
    fn validate(&self, errors: &mut Vec<FieldError>) {
        let wants_fee = matches!(self.payment, Payment::LumpSum | Payment::EntryPlusRoyalty);
        let wants_royalty = matches!(self.payment, Payment::Royalty | Payment::EntryPlusRoyalty);
        let payment = self.payment.as_str();
        match (self.fee_cny, wants_fee) {
            (None, true) => errors.push(FieldError::new(
                "open_license.fee_cny",
                format!("required for payment {payment}"),
            )),
            (Some(_), false) => errors.push(FieldError::new(
                "open_license.fee_cny",
                format!("must be null for payment {payment}"),
            )),
            (Some(fee), true) if fee < 0 => errors.push(FieldError::new(
                "open_license.fee_cny",
                "must not be negative",
            )),
            _ => {}
        }
        match (self.royalty_percent, wants_royalty) {
            (None, true) => errors.push(FieldError::new(
                "open_license.royalty_percent",
                format!("required for payment {payment}"),
            )),
            (Some(_), false) => errors.push(FieldError::new(
                "open_license.royalty_percent",
                format!("must be null for payment {payment}"),
            )),
            (Some(r), true) if !(r > 0.0 && r <= 100.0) => errors.push(FieldError::new(
                "open_license.royalty_percent",
                format!("{r} is outside 0 < x <= 100"),
            )),
            _ => {}
        }
        if self.term_years < 1 {
            errors.push(FieldError::new(
                "open_license.term_years",
                format!("{} is less than 1", self.term_years),
            ));
        }
    }
}

impl InstitutionRecord {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "name", &self.name, 1, MAX_SHORT);
        if let Some(region) = &self.region {
            check_text(&mut errors, "region", region, 0, MAX_SHORT);
        }
        if self.contacts.len() > MAX_LIST {
            errors.push(FieldError::new(
                "contacts",
                format!("more than {MAX_LIST} contacts"),
            ));
        }
        for (i, c) in self.contacts.iter().enumerate() {
            check_text(
                &mut errors,
                &format!("contacts[{i}].name"),
                &c.name,
                1,
                MAX_SHORT,
            );
            if let Some(email) = &c.email {
                check_text(
                    &mut errors,
                    &format!("contacts[{i}].email"),
                    email,
                    0,
                    MAX_SHORT,
                );
                if !email.contains('@') {
                    errors.push(FieldError::new(
                        format!("contacts[{i}].email"),
                        format!("`{}` is not an e-mail address", truncate(email, 40)),
                    ));
                }
            }
            if self.contacts[..i].iter().any(|o| o.name == c.name) {
                errors.push(FieldError::new(
                    format!("contacts[{i}].name"),
                    format!("`{}` is listed twice", c.name),
                ));
            }
        }
        errors
    }
}

/// Shortens a value for an error message, on a character boundary.
pub fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> PatentRecord {
        serde_json::from_str(
            r#"{"number": "CN113943153A", "title": "一种磁芯材料", "abstract": "本发明涉及一种磁芯材料。",
            "claims": null, "keywords": ["磁芯"], "ipc": [], "patent_type": "invention", "legal_status": "granted",
            "institution": "渝州大学", "inventors": [], "application_date": "2023-09-11", "industry": "先进材料",
            "license_modes": ["ordinary", "open"],
            "open_license": {"payment": "entry_plus_royalty", "fee_cny": 10000, "royalty_percent": 2.0, "term_years": 1},
            "asking_price_cny": 50000, "rating": {"institution": 5, "enterprise": 5}}"#,
        )
        .unwrap()
    }

    fn fields(r: &PatentRecord) -> Vec<String> {
        r.validate().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn valid_record_passes() {
        assert!(sample().validate().is_empty());
        assert!(sample().rating.unwrap().is_double_five());
    }

    #[test]
    fn number_pattern() {
        for bad in [
            "CN12345678A",
            "US113943153A",
            "CN113943153X",
            "CN11394315aA",
        ] {
            let mut r = sample();
            r.number = bad.into();
            assert_eq!(fields(&r), ["number"], "{bad}");
        }
        assert_ne!(number_key("CN113943153A"), number_key("CN113943153B"));
    }

    #[test]
    fn open_licence_rules() {
        let mut r = sample();
        r.legal_status = LegalStatus::Pending;
        assert_eq!(fields(&r), ["license_modes"]);

        let mut r = sample();
        r.license_modes.push(LicenseMode::Exclusive);
        assert_eq!(fields(&r), ["license_modes"]);

        let mut r = sample();
        r.open_license = None;
        assert_eq!(fields(&r), ["open_license"]);

        let mut r = sample();
        r.open_license.as_mut().unwrap().payment = Payment::LumpSum;
        assert_eq!(fields(&r), ["open_license.royalty_percent"]);

        let mut r = sample();
        r.open_license.as_mut().unwrap().royalty_percent = Some(120.0);
        assert_eq!(fields(&r), ["open_license.royalty_percent"]);

        let mut r = sample();
        r.license_modes = vec![LicenseMode::Transfer];
        assert_eq!(fields(&r), ["open_license"]);
    }

    #[test]
    fn empty_title_allowed_but_not_an_empty_record() {
        let mut r = sample();
        r.title = String::new();
        assert!(r.validate().is_empty());
        r.abstract_text = " ".into();
        assert_eq!(fields(&r), ["abstract"]);
    }

    #[test]
    fn lengths_and_ratings() {
        let mut r = sample();
        r.abstract_text = "长".repeat(MAX_ABSTRACT + 1);
        r.rating = Some(Rating {
            institution: 6,
            enterprise: Some(0),
        });
        assert_eq!(
            fields(&r),
            ["abstract", "rating.institution", "rating.enterprise"]
        );
        let msg = r.validate()[0].to_string();
        assert!(msg.contains("20001 characters"), "{msg}");
    }
}

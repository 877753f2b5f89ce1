//! [`Filters`], the restrictions a need carries, and [`CompiledFilters`], the same with names turned
//! into the index's label ids so that checking a document is a few integer comparisons. Separate from
//! ranking: a filter decides whether a document is shown, never how it scores.

use crate::catalog::record::{LegalStatus, LicenseMode, PatentType};
use crate::matching::index::{DocMeta, Labels};
use serde::Serialize;

/// Restrictions on results. Unknown names match nothing (the channel validates choices beforehand).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub institution: Option<String>,
    #[serde(default)]
    pub license: Option<LicenseMode>,
    #[serde(default)]
    pub legal_status: Option<LegalStatus>,
    #[serde(default)]
    pub patent_type: Option<PatentType>,
    #[serde(default)]
    pub max_price: Option<i64>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }
}

pub(super) struct CompiledFilters {
    industry: Option<u16>,
    region: Option<u16>,
    institution: Option<u16>,
    license: Option<LicenseMode>,
    legal_status: Option<LegalStatus>,
    patent_type: Option<PatentType>,
    max_price: Option<i64>,
}

impl CompiledFilters {
    /// None when a filter names a label the index does not have (so nothing can match).
    pub(super) fn new(f: &Filters, labels: &Labels) -> Option<CompiledFilters> {
        let label = |name: &Option<String>| -> Option<Option<u16>> {
            match name {
                None => Some(None),
                Some(n) => labels.find(n.trim()).map(Some),
            }
        };
        Some(CompiledFilters {
            industry: label(&f.industry)?,
            region: label(&f.region)?,
            institution: label(&f.institution)?,
            license: f.license,
            legal_status: f.legal_status,
            patent_type: f.patent_type,
            max_price: f.max_price,
        })
    }

    pub(super) fn passes(&self, meta: &DocMeta) -> bool {
        self.industry.is_none_or(|id| meta.industry == id)
            && self.region.is_none_or(|id| meta.region == id)
            && self.institution.is_none_or(|id| meta.institution == id)
            && self.license.is_none_or(|m| meta.offers(m))
            && self.legal_status.is_none_or(|s| meta.legal_status == s)
            && self.patent_type.is_none_or(|t| meta.patent_type == t)
            && self
                .max_price
                .is_none_or(|p| meta.asking_price >= 0 && meta.asking_price <= p)
    }
}

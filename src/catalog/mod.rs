//! The patent catalogue: the interchange format, reading files, importing them into PostgreSQL, and
//! reading records back.

pub mod generate;
pub mod import;
pub mod record;
pub mod source;
pub mod store;
pub mod upload;

pub use record::{InstitutionRecord, PatentRecord};

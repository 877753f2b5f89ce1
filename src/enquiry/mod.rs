//! Enquiry forwarding: a company's consented interest in a patent, stored with its status history and
//! delivered through the outbox to the owning institution's registered contacts; their answers come back
//! the same way. [`store`] owns the tables and the rules (one open enquiry per patent, a daily cap,
//! single-use invite codes, who may act on what); [`conversation`] is what companies type and press,
//! [`contact`] what institutions' contacts do, [`messages`] the texts both sides see, [`ledger`] an
//! institution's whole dated ledger of leads (the web console reads it).

pub mod contact;
pub mod conversation;
pub mod ledger;
pub mod messages;
pub mod store;

pub use store::{EnquiryError, Status};

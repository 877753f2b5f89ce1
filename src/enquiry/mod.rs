//! Enquiry forwarding: a company's consented interest in a patent, stored with its status history and
//! delivered through the outbox to the owning institution's registered contacts; their answers come back
//! the same way. [`store`] owns the enquiry tables and the rules (one open enquiry per patent, a daily
//! cap); [`invites`] the single-use invite codes contacts register with; [`registry`] who acts for an institution (contacts, by user id) and
//! where its leads go (its group chats, or its contacts' own chats); [`conversation`] is what companies
//! type and press, [`contact`] what institutions' contacts do, [`group`] what happens in a group chat,
//! [`messages`] the texts both sides see, [`ledger`] an institution's whole dated ledger of leads (the
//! web console reads it).

pub mod contact;
pub mod conversation;
pub mod group;
pub mod invites;
pub mod ledger;
pub mod messages;
pub mod registry;
pub mod store;

pub use store::{EnquiryError, Status};

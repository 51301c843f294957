//! Teach: the classroom side, built on the analysis layers and never imported by them.
//!
//! - [`lesson`]: guided lessons over bundled captures: files, moments by meaning, replay state,
//!   plain text and Markdown handouts.
//! - [`server`]: the teaching POP3 server of `serve`: the protocol as a pure session on the
//!   decoder's vocabulary, mailboxes, TCP and TLS.
//! - [`simulate`]: scripted conversations (or a client's commands answered by the server)
//!   written as realistic captures, with the network's misdeeds.

mod error;
pub mod classroom;
pub mod lesson;
pub mod server;
pub mod simulate;

pub use error::Error;

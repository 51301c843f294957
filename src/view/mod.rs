//! View: what a front end shows, without drawing it.
//!
//! Contract: UI-free and I/O-free. [`timeline`] keeps a capture's session events for browsing
//! (conversation in wire order, the mailbox at any line); [`explain`] says in words what a row
//! means (RFC sections, packets, bytes). The terminal view, the lessons and the handouts all
//! read these; none of them writes its own words for a command, a note or an ending.

pub mod explain;
pub mod filter;
pub mod timeline;

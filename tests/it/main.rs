//! Integration tests: the real binary on real and synthetic captures, and the whole pipeline
//! through the library. One test binary, as ripgrep does, so it links once.

mod util;

mod captures;
mod classroom;
mod cli;
mod corpus;
mod fuzz_regressions;
mod layers;
mod lessons;
mod live;
mod pipeline;
mod serve;
mod sessions;
mod simulate;
mod tcpflow;
mod threads;
mod tls;
mod tui;

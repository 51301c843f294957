//! One frame under one of the link types the wire layer decodes: a segment, a fragment or a
//! skip, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3scope::capture::LinkType;
use pop3scope::wire::{self, Decoded};

const LINKS: [LinkType; 8] = [
    LinkType::ETHERNET,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::NULL,
    LinkType::LOOP,
    LinkType::RAW,
    LinkType::IPV4,
    LinkType::IPV6,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let link_type = LINKS[usize::from(pick) % LINKS.len()];
    match wire::decode(link_type, frame) {
        Ok(Decoded::Tcp(segment)) => {
            std::hint::black_box((segment.payload.len(), segment.missing));
        }
        Ok(Decoded::Fragment(fragment)) => {
            std::hint::black_box((fragment.offset, fragment.data.len()));
        }
        Err(skip) => {
            std::hint::black_box(skip.to_string());
        }
    }
});

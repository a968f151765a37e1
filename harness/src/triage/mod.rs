//! Triage: what a failing seed becomes once the checker has judged it: its
//! replay ([`replay`]) and the part of its trace asked for
//! ([`trace_filter`], [`trace_format`]), the story of each lost record
//! ([`explain`], [`story`]), its shrink to what matters ([`shrink`]) and
//! the regression file that keeps it ([`regression`], [`save_target`]).

pub mod explain;
pub mod regression;
pub mod replay;
pub mod save_target;
pub mod shrink;
pub mod story;
pub mod trace_filter;
pub mod trace_format;

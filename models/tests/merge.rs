//! How a pushed version meets the server's row of its record
//! (`models::merge::at_server`), case by case.

extern crate lastcopy_models as models;

mod common;

use common::*;
use models::merge::at_server;
use models::record::Row;

/// A push of the version the server already serves changes nothing, unless
/// (with conflict copies) it carries copies the server lost: then the
/// server keeps those too, and only those.
#[test]
fn a_push_the_server_holds_adds_only_the_conflict_copies_the_server_lost() {
    let record = rec(0, 1);
    let kept = row(record, 2);
    let current = row(record, 1).keeping(kept.clone());
    assert_eq!(
        at_server(Some(&current), &current, true),
        None,
        "nothing new"
    );
    assert_eq!(at_server(Some(&current), &current, false), None);
    let lost = row(record, 3);
    let pushed: Row = current.clone().keeping(lost.clone());
    let merged = at_server(Some(&current), &pushed, true).expect("the lost copy is kept");
    assert_eq!(merged, current.clone().keeping(lost));
    assert_eq!(
        at_server(Some(&current), &pushed, false),
        None,
        "last writer wins keeps no copies"
    );
}

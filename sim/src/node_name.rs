//! The name of a node, device or store as the trace and every report print
//! it (`client-17`, `db-primary`, `harness`): one type, formatted in one
//! place.

use serde::{Serialize, Serializer};
use smol_str::SmolStr;
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// A node's (or device's, or store's) name. It prints, compares and
/// serializes exactly as the string it was made from; names of up to 23
/// bytes cost no allocation, so an event may carry one cheaply.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeName(SmolStr);

impl NodeName {
    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for NodeName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for NodeName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for NodeName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for NodeName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl From<&str> for NodeName {
    fn from(s: &str) -> Self {
        NodeName(s.into())
    }
}

impl From<String> for NodeName {
    fn from(s: String) -> Self {
        NodeName(s.into())
    }
}

impl From<&String> for NodeName {
    fn from(s: &String) -> Self {
        NodeName(s.into())
    }
}

impl From<&NodeName> for NodeName {
    fn from(s: &NodeName) -> Self {
        s.clone()
    }
}

impl From<NodeName> for String {
    fn from(n: NodeName) -> Self {
        n.0.into()
    }
}

impl PartialEq<str> for NodeName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for NodeName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for NodeName {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<NodeName> for str {
    fn eq(&self, other: &NodeName) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<NodeName> for &str {
    fn eq(&self, other: &NodeName) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<NodeName> for String {
    fn eq(&self, other: &NodeName) -> bool {
        self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::NodeName;

    #[test]
    fn a_name_prints_and_compares_as_its_string() {
        let long = "a-node-name-longer-than-twenty-three-bytes";
        for s in ["client-17", long] {
            let n = NodeName::from(s);
            assert_eq!(n.to_string(), s);
            assert_eq!(format!("{n:?}"), format!("{s:?}"));
            assert_eq!(n, s);
            assert_eq!(serde_json::to_string(&n).unwrap(), format!("{s:?}"));
        }
        let (backup, primary) = (NodeName::from("db-backup"), NodeName::from("db-primary"));
        assert!(backup < primary, "names order as their strings");
    }
}

//! Enums whose values have stable names ([`named!`]): the name lives in
//! one row of one table, and code matches on the value.

/// Declares a fieldless enum from a table of `Variant = "name"` rows: the
/// enum, `ALL` (every value in table order), `NAMES` (their names), `name()`, `parse()` (the value
/// a name spells, if any), `Display` (the name) and serde's `Serialize` and
/// `Deserialize` as the name (an unknown name is an error listing the
/// table's). Event kinds
/// ([`event_kinds!`](crate::event_kinds)), scenario targets and run phases
/// are declared with it.
///
/// ```
/// lastcopy_sim::named! {
///     /// Where the example keeps things.
///     pub enum Shelf {
///         /// The top one.
///         Top = "top",
///         /// The bottom one.
///         Bottom = "bottom",
///     }
/// }
/// assert_eq!(Shelf::parse("bottom"), Some(Shelf::Bottom));
/// assert_eq!(Shelf::Top.to_string(), "top");
/// assert_eq!(Shelf::parse("middle"), None);
/// assert_eq!(serde_json::to_string(&Shelf::Top).unwrap(), "\"top\"");
/// let err = serde_json::from_str::<Shelf>("\"middle\"").unwrap_err();
/// assert!(err.to_string().contains("expected `top` or `bottom`"), "{err}");
/// ```
#[macro_export]
macro_rules! named {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)*
        }
        impl $name {
            /// Every value, in the order the table declares them.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// Every value's name, in the same order (for an error that
            /// lists them).
            pub const NAMES: &'static [&'static str] = &[$($text,)*];

            /// Its stable name, as files and traces spell it.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value named `name`, if the table has one.
            #[allow(dead_code)] // a private table may never be parsed
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.name() == name)
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }
        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = <String as $crate::__serde::Deserialize>::deserialize(d)?;
                Self::parse(&name).ok_or_else(|| {
                    <D::Error as $crate::__serde::de::Error>::unknown_variant(&name, Self::NAMES)
                })
            }
        }
    };
}

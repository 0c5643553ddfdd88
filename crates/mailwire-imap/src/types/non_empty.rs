//! Lists the grammar requires to hold at least one element.
//!
//! RFC 3501 §9 writes many lists as `"(" item *(SP item) ")"` or `1*item`: an empty one has
//! no valid wire form. Such fields hold a [`NonEmpty`], so the value cannot be built.

use std::ops::Deref;

use super::ValidationError;

/// A vector with at least one element.
///
/// It reads as a slice (through `Deref`), and grows but never shrinks below one element.
///
/// ```
/// use mailwire_imap::types::{NonEmpty, StatusAttribute};
///
/// let mut atts = NonEmpty::new(StatusAttribute::Messages);
/// atts.push(StatusAttribute::Unseen);
/// assert_eq!(atts.len(), 2);
/// assert_eq!(atts.first(), &StatusAttribute::Messages);
///
/// assert!(NonEmpty::<StatusAttribute>::try_from(Vec::new()).is_err());
/// let same = NonEmpty::try_from(vec![StatusAttribute::Messages, StatusAttribute::Unseen]);
/// assert_eq!(same, Ok(atts));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NonEmpty<T>(Vec<T>);

impl<T> NonEmpty<T> {
    /// A list of one element.
    pub fn new(first: T) -> Self {
        Self(vec![first])
    }

    /// A list of one element, with room for `capacity` before it grows.
    pub(crate) fn with_capacity(first: T, capacity: usize) -> Self {
        let mut items = Vec::with_capacity(capacity.max(1));
        items.push(first);
        Self(items)
    }

    /// The list of `items`, or `None` when there are none.
    pub fn from_vec(items: Vec<T>) -> Option<Self> {
        (!items.is_empty()).then_some(Self(items))
    }

    /// Appends an element.
    pub fn push(&mut self, item: T) {
        self.0.push(item);
    }

    /// The first element.
    pub fn first(&self) -> &T {
        // The vector is never empty; indexing cannot fail.
        &self.0[0]
    }

    /// The elements as a slice.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// The elements as a vector.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }

    /// Applies `f` to every element, keeping the order.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> NonEmpty<U> {
        NonEmpty(self.0.into_iter().map(f).collect())
    }
}

impl<T> Deref for NonEmpty<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> AsRef<[T]> for NonEmpty<T> {
    fn as_ref(&self) -> &[T] {
        &self.0
    }
}

impl<T> TryFrom<Vec<T>> for NonEmpty<T> {
    type Error = ValidationError;

    fn try_from(items: Vec<T>) -> Result<Self, ValidationError> {
        Self::from_vec(items).ok_or(ValidationError::Empty("list"))
    }
}

/// An array of at least one element; an empty array does not compile.
///
/// ```
/// use mailwire_imap::types::NonEmpty;
///
/// let list = NonEmpty::from([1, 2, 3]);
/// assert_eq!(list.as_slice(), &[1, 2, 3]);
/// ```
///
/// ```compile_fail
/// use mailwire_imap::types::NonEmpty;
///
/// let list: NonEmpty<u8> = NonEmpty::from([]);
/// ```
impl<T, const N: usize> From<[T; N]> for NonEmpty<T> {
    fn from(items: [T; N]) -> Self {
        const { assert!(N > 0, "a NonEmpty needs at least one element") };
        Self(items.into())
    }
}

impl<T> From<NonEmpty<T>> for Vec<T> {
    fn from(list: NonEmpty<T>) -> Self {
        list.0
    }
}

impl<T> Extend<T> for NonEmpty<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl<T> IntoIterator for NonEmpty<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a NonEmpty<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: PartialEq> PartialEq<[T]> for NonEmpty<T> {
    fn eq(&self, other: &[T]) -> bool {
        self.0 == other
    }
}

impl<T: PartialEq> PartialEq<Vec<T>> for NonEmpty<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        &self.0 == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_empty_input() {
        assert_eq!(NonEmpty::<u8>::from_vec(Vec::new()), None);
        assert_eq!(
            NonEmpty::<u8>::try_from(Vec::new()),
            Err(ValidationError::Empty("list"))
        );
    }

    #[test]
    fn keeps_order_and_grows() {
        let mut list = NonEmpty::new(3);
        list.push(1);
        list.extend([4, 1]);
        assert_eq!(list.as_slice(), &[3, 1, 4, 1]);
        assert_eq!(*list.first(), 3);
        assert_eq!(list.len(), 4);
        assert_eq!(list.clone().map(|n| n * 2).into_vec(), vec![6, 2, 8, 2]);
        assert_eq!(list.iter().sum::<i32>(), 9);
        assert_eq!(Vec::from(list), vec![3, 1, 4, 1]);
        assert_eq!(NonEmpty::from_vec(vec![7]), Some(NonEmpty::new(7)));
        assert_eq!(NonEmpty::from(["a"]), vec!["a"]);
    }
}

//! The standard filters of Shopify Liquid 5.

use super::FilterRegistry;

pub(super) fn register_all(_r: &mut FilterRegistry) {}

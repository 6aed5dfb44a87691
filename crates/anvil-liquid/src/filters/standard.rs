//! The standard filters of Shopify Liquid 5.

use super::FilterRegistry;

pub(super) fn register_all(r: &mut FilterRegistry) {
    super::array::register(r);
    super::date::register(r);
    super::encoding::register(r);
    super::math::register(r);
    super::string::register(r);
}

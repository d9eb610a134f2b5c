//! Decimal figures and their rounding.
//!
//! Every figure the crate publishes is a [`Decimal`] computed from exact
//! integer sums (minutes, counts, hundredths of a Fatigue Index point) and
//! rounded once, at the end, to [`DECIMAL_PLACES`] decimal place with
//! [`ROUNDING`]: half away from zero ("half-up" for the non-negative figures
//! here), so 12.25 becomes 12.3 and 12.35 becomes 12.4. Because the sums are
//! integers and the division is decimal, the same input gives the same
//! figures on any machine and in any input order.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Decimal places of every published non-integer figure.
pub const DECIMAL_PLACES: u32 = 1;
/// The rounding rule, as stated in every report.
pub const ROUNDING: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;
/// How the rounding is described to readers.
pub const ROUNDING_NOTE: &str = "1 decimal place, halves rounded away from zero";

/// `numerator / denominator` rounded to [`DECIMAL_PLACES`]; `None` when the
/// denominator is zero.
pub fn ratio(numerator: i64, denominator: i64, scale: i64) -> Option<Decimal> {
    if denominator == 0 {
        return None;
    }
    let value = Decimal::from(numerator) / (Decimal::from(denominator) * Decimal::from(scale));
    Some(round(value))
}

/// Rounds as stated and fixes the scale, so 0 prints as `0.0` and 12 as `12.0`.
pub fn round(value: Decimal) -> Decimal {
    let mut v = value.round_dp_with_strategy(DECIMAL_PLACES, ROUNDING);
    v.rescale(DECIMAL_PLACES);
    v
}

/// A percentage that always says what it is a percentage of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentage {
    /// `100 × part / whole`, rounded as stated in [`ROUNDING_NOTE`].
    pub value: Decimal,
    /// The denominator in words, e.g. "people rostered in this row in the period".
    pub of: String,
}

impl Percentage {
    /// `100 × part / whole` of `of`; `None` when `whole` is zero.
    pub fn new(part: i64, whole: i64, of: &str) -> Option<Self> {
        if whole == 0 {
            return None;
        }
        let value = round(Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(whole));
        Some(Self {
            value,
            of: of.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_round_away_from_zero() {
        // 1/8 = 0.125 h -> 0.1; 1/4 = 0.25 -> 0.3 (half away from zero, not banker's 0.2).
        assert_eq!(ratio(1, 4, 1), Some(Decimal::new(3, 1)));
        assert_eq!(ratio(1, 8, 1), Some(Decimal::new(1, 1)));
        assert_eq!(ratio(90, 1, 60), Some(Decimal::new(15, 1)));
        assert_eq!(ratio(5, 0, 1), None);
        assert_eq!(ratio(0, 3, 1).unwrap().to_string(), "0.0");
        assert_eq!(ratio(6, 3, 1).unwrap().to_string(), "2.0");
    }

    #[test]
    fn percentage_carries_its_denominator() {
        let p = Percentage::new(1, 8, "people rostered").unwrap();
        assert_eq!(p.value, Decimal::new(125, 1)); // 12.5 exactly
        let p = Percentage::new(1, 3, "shifts").unwrap();
        assert_eq!(p.value, Decimal::new(333, 1));
        assert_eq!(p.of, "shifts");
        assert!(Percentage::new(1, 0, "x").is_none());
    }
}

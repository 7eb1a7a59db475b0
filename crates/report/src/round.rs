//! Amounts rounded for people: three significant figures with k/M/B for dollars, a few decimals
//! for coins. JSON keeps the exact base units; these are for HTML and text only.

/// `$1.23M`, `$456k`, `$12.3`, `-` when unpriced.
pub fn usd(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => format!("${}", compact(v)),
        _ => "-".to_string(),
    }
}

/// `1.23M`, `456k`, `12.3`, `0.0412`: three significant figures.
pub fn compact(value: f64) -> String {
    let magnitude = value.abs();
    let (scaled, suffix) = if magnitude >= 1e9 {
        (value / 1e9, "B")
    } else if magnitude >= 1e6 {
        (value / 1e6, "M")
    } else if magnitude >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    format!("{}{suffix}", significant(scaled, 3))
}

/// `value` with `digits` significant figures, trailing zeros dropped.
fn significant(value: f64, digits: i32) -> String {
    if value == 0.0 {
        return "0".to_string();
    }
    let exponent = value.abs().log10().floor() as i32;
    let decimals = (digits - 1 - exponent).max(0) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// An exact decimal amount (`12345.678901234567890123`) rounded for people: thousands separated,
/// two decimals from 1 up, four significant figures below 1 (`12,345.68`, `0.004123`).
pub fn units(exact: &str) -> String {
    let value: f64 = exact.parse().unwrap_or(0.0);
    if value.abs() >= 1.0 {
        let text = format!("{value:.2}");
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
        let (sign, digits) = whole
            .strip_prefix('-')
            .map_or(("", whole), |rest| ("-", rest));
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{sign}{grouped}.{fraction}")
    } else {
        significant(value, 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_have_three_figures() {
        assert_eq!(usd(Some(1_234_567.0)), "$1.23M");
        assert_eq!(usd(Some(456_400.0)), "$456k");
        assert_eq!(usd(Some(12.34)), "$12.3");
        assert_eq!(usd(Some(2_500_000_000.0)), "$2.5B");
        assert_eq!(usd(Some(0.0)), "$0");
        assert_eq!(usd(None), "-");
    }

    #[test]
    fn coins_are_grouped_and_rounded() {
        assert_eq!(units("12345.678901234567890123"), "12,345.68");
        assert_eq!(units("1000000"), "1,000,000.00");
        assert_eq!(units("0.004123456"), "0.004123");
        assert_eq!(units("-1234.5"), "-1,234.50");
        assert_eq!(units("0"), "0");
    }
}

//! Amounts of money as owners type them, read as 万元 (10,000 yuan): "30", "30万", "30 万元", "30w",
//! "二三十万" (a range: its upper end), "不超过8万块", "5千", "50k", "300000" or "300000元" (yuan). A bare
//! number of 10,000 or more is yuan: nobody's budget for a patent is 10,000 × 10,000 yuan.

/// The amount in 万元, or `None` when the text is not an amount.
pub fn parse_wan(text: &str) -> Option<f64> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '，')
        .collect();
    // Hedges around the amount ("不超过", "最多", "大约…左右", "…以内") and a closing particle ("…吧")
    // say nothing about it.
    let t = ["不超过", "最多", "预算"]
        .iter()
        .fold(t.as_str(), |t, p| t.strip_prefix(p).unwrap_or(t))
        .trim_start_matches(['约', '大', '概'])
        .trim_end_matches(['吧', '啊', '呀', '哈', '。', '！', '!', '.'])
        .trim_end_matches(['左', '右', '以', '内', '下']);
    // 万 also typed as its pinyin initial (30w), 千 as k (50k): how amounts are typed on phones.
    if let Some(n) = ["万元", "万块", "万", "w", "W"]
        .iter()
        .find_map(|s| t.strip_suffix(s))
    {
        return number(n);
    }
    if let Some(n) = ["千元", "千块", "千", "k", "K"]
        .iter()
        .find_map(|s| t.strip_suffix(s))
    {
        return number(n).map(|k| k / 10.0);
    }
    if let Some(n) = t.strip_suffix("元").or_else(|| t.strip_suffix("块")) {
        return number(n).map(|y| y / 10_000.0);
    }
    let n = number(t)?;
    Some(if n >= 10_000.0 { n / 10_000.0 } else { n })
}

/// A number in digits, or in Chinese numerals up to the thousands ("三十", "两百", "二三十": the larger).
fn number(t: &str) -> Option<f64> {
    if t.is_empty() {
        return None;
    }
    if let Ok(n) = t.parse::<f64>() {
        return (n.is_finite() && n >= 0.0).then_some(n);
    }
    chinese(t)
}

fn digit(c: char) -> Option<f64> {
    Some(match c {
        '零' => 0.0,
        '一' => 1.0,
        '二' | '两' => 2.0,
        '三' => 3.0,
        '四' => 4.0,
        '五' => 5.0,
        '六' => 6.0,
        '七' => 7.0,
        '八' => 8.0,
        '九' => 9.0,
        _ => return None,
    })
}

fn chinese(t: &str) -> Option<f64> {
    let mut total = 0.0;
    // Two digits in a row ("二三十") are a range: the later, larger one counts.
    let mut pending: Option<f64> = None;
    for c in t.chars() {
        let unit = match c {
            '十' => 10.0,
            '百' => 100.0,
            '千' => 1000.0,
            _ => {
                pending = Some(digit(c)?);
                continue;
            }
        };
        total += pending.take().unwrap_or(1.0) * unit;
    }
    Some(total + pending.unwrap_or(0.0))
}

#[cfg(test)]
mod tests {
    use super::parse_wan;

    #[test]
    fn budgets_as_people_type_them() {
        for (typed, wan) in [
            ("30", 30.0),
            ("30万", 30.0),
            ("30 万元", 30.0),
            ("二三十万", 30.0),
            ("三十万", 30.0),
            ("300000", 30.0),
            ("300,000元", 30.0),
            ("两百万", 200.0),
            ("约50万左右", 50.0),
            ("5000元", 0.5),
            ("5000块", 0.5),
            ("50w", 50.0),
            ("8万块", 8.0),
            ("不超过8万块", 8.0),
            ("5千", 0.5),
            ("50k", 5.0),
            ("最多二十万", 20.0),
            ("二十万左右吧", 20.0),
            ("50万吧。", 50.0),
        ] {
            assert_eq!(parse_wan(typed), Some(wan), "{typed}");
        }
        for not in ["", "很多", "万", "-3", "abc", "w", "面议"] {
            assert_eq!(parse_wan(not), None, "{not}");
        }
    }
}

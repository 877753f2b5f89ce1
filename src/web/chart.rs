//! Charts drawn on the server as inline SVG (no script, nothing loaded from elsewhere): horizontal bars
//! for ranked figures, columns for figures per week. Every label is escaped; every chart has a `<title>`
//! and the figures are also printed beside the bars, so the chart is readable without colours.

use super::html::esc;
use std::fmt::Write;

/// Width of every chart, in SVG units (the page scales it down on narrow screens).
const WIDTH: f64 = 640.0;
const BAR: f64 = 22.0;
const GAP: f64 = 6.0;
/// Room for the labels left of the bars.
const LABEL: f64 = 220.0;
/// Room for the figure right of the bars.
const FIGURE: f64 = 80.0;
/// Most characters of a label drawn (the full label is in the bar's tooltip).
const LABEL_CHARS: usize = 14;
const COLOURS: [&str; 3] = ["#2f6f9f", "#c0504d", "#6f9f2f"];

fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_owned()
    } else {
        let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
        format!("{cut}…")
    }
}

/// One bar per `(label, value, figure as shown)`, longest for the largest value; `title` names the chart.
pub fn bars(title: &str, items: &[(String, f64, String)]) -> String {
    let height = items.len() as f64 * (BAR + GAP) + GAP;
    let max = items.iter().map(|(_, v, _)| *v).fold(0.0, f64::max);
    let span = WIDTH - LABEL - FIGURE;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        esc(title)
    );
    for (i, (label, value, figure)) in items.iter().enumerate() {
        let y = GAP + i as f64 * (BAR + GAP);
        let w = if max > 0.0 { span * value / max } else { 0.0 };
        let _ = write!(
            svg,
            "<g><title>{full}: {fig}</title>\
             <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"13\">{label}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{w:.1}\" height=\"{BAR}\" fill=\"{colour}\"/>\
             <text x=\"{fx:.1}\" y=\"{ty}\" font-size=\"13\">{fig}</text></g>",
            full = esc(label),
            fig = esc(figure),
            lx = LABEL - 6.0,
            ty = y + BAR * 0.7,
            label = esc(&short(label)),
            colour = COLOURS[0],
            fx = LABEL + w + 6.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Columns per period: `labels[i]` under column group `i`, one column per series `(name, values)`
/// side by side, with a legend; `title` names the chart.
pub fn columns(title: &str, labels: &[String], series: &[(String, Vec<f64>)]) -> String {
    const PLOT: f64 = 180.0;
    const TOP: f64 = 24.0;
    const BOTTOM: f64 = 36.0;
    let height = TOP + PLOT + BOTTOM;
    let groups = labels.len().max(1) as f64;
    let group = (WIDTH - 40.0) / groups;
    let column = (group * 0.8 / series.len().max(1) as f64).max(1.0);
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0, f64::max);
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        esc(title)
    );
    for (s, (name, _)) in series.iter().enumerate() {
        let x = 40.0 + s as f64 * 160.0;
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"15\" font-size=\"12\">{}</text>",
            COLOURS[s % COLOURS.len()],
            x + 16.0,
            esc(name)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"0\" y=\"{}\" font-size=\"11\">{}</text><line x1=\"36\" y1=\"{}\" x2=\"{WIDTH}\" y2=\"{}\" stroke=\"#999\"/>",
        TOP + 10.0,
        max,
        TOP + PLOT,
        TOP + PLOT
    );
    for (g, label) in labels.iter().enumerate() {
        let x0 = 40.0 + g as f64 * group;
        for (s, (name, values)) in series.iter().enumerate() {
            let v = values.get(g).copied().unwrap_or(0.0);
            let h = if max > 0.0 { PLOT * v / max } else { 0.0 };
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{column:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{} {}: {v}</title></rect>",
                x0 + s as f64 * column,
                TOP + PLOT - h,
                COLOURS[s % COLOURS.len()],
                esc(label),
                esc(name),
            );
        }
        // Every label when few, otherwise every fourth, so they do not overlap.
        if labels.len() <= 8 || g % 4 == 0 {
            let _ = write!(
                svg,
                "<text x=\"{x0:.1}\" y=\"{}\" font-size=\"11\">{}</text>",
                TOP + PLOT + 16.0,
                esc(label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_the_largest_bar_is_the_longest() {
        let svg = bars(
            "t",
            &[
                ("<b>甲</b>".into(), 2.0, "2".into()),
                ("乙".into(), 4.0, "4".into()),
            ],
        );
        assert!(svg.contains("&lt;b&gt;甲&lt;/b&gt;") && !svg.contains("<b>"));
        let widths: Vec<f64> = svg
            .split("<rect ")
            .skip(1)
            .map(|r| {
                let w = r.split("width=\"").nth(1).unwrap();
                w[..w.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        assert_eq!(widths.len(), 2);
        assert!(widths[1] > widths[0] && (widths[1] - 2.0 * widths[0]).abs() < 0.2);
    }

    #[test]
    fn empty_figures_draw_no_bar_and_no_division_by_zero() {
        let svg = columns("t", &["w1".into()], &[("a".into(), vec![0.0])]);
        assert!(svg.contains("height=\"0.0\""), "{svg}");
        assert!(!svg.contains("NaN"));
    }
}

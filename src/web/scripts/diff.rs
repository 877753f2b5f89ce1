//! A line diff between two texts (a version and the current file): the common start and end are
//! kept as they are, the middle is aligned by its longest common subsequence of lines. Script files are
//! a few hundred lines; a middle too large for the table is shown as removed then added.

/// One line of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    Same(&'a str),
    /// Only in the first text.
    Removed(&'a str),
    /// Only in the second text.
    Added(&'a str),
}

/// Cells of the alignment table beyond which the middle is not aligned (16 MB of u32).
const MAX_CELLS: usize = 4_000_000;

/// The lines of `from` and `to`, as removed, added or the same.
pub fn lines<'a>(from: &'a str, to: &'a str) -> Vec<Line<'a>> {
    let a: Vec<&str> = from.lines().collect();
    let b: Vec<&str> = to.lines().collect();
    let start = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let end = a[start..]
        .iter()
        .rev()
        .zip(b[start..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[start..a.len() - end], &b[start..b.len() - end]);
    let mut out: Vec<Line> = a[..start].iter().map(|l| Line::Same(l)).collect();
    if ma.len().saturating_mul(mb.len()) > MAX_CELLS {
        out.extend(ma.iter().map(|l| Line::Removed(l)));
        out.extend(mb.iter().map(|l| Line::Added(l)));
    } else {
        out.extend(aligned(ma, mb));
    }
    out.extend(a[a.len() - end..].iter().map(|l| Line::Same(l)));
    out
}

/// The classic LCS table, read from the start: `common[i][j]` is the longest common subsequence of
/// `a[i..]` and `b[j..]`.
fn aligned<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Line<'a>> {
    let w = b.len() + 1;
    let mut common = vec![0u32; (a.len() + 1) * w];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i * w + j] = if a[i] == b[j] {
                common[(i + 1) * w + j + 1] + 1
            } else {
                common[(i + 1) * w + j].max(common[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(Line::Same(a[i]));
            (i, j) = (i + 1, j + 1);
        } else if j == b.len() || (i < a.len() && common[(i + 1) * w + j] >= common[i * w + j + 1])
        {
            out.push(Line::Removed(a[i]));
            i += 1;
        } else {
            out.push(Line::Added(b[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Line::*;
    use super::*;

    #[test]
    fn changed_lines_are_removed_and_added_in_place() {
        let d = lines("a\nb\nc\nd\n", "a\nB\nc\nd\ne\n");
        assert_eq!(
            d,
            [
                Same("a"),
                Removed("b"),
                Added("B"),
                Same("c"),
                Same("d"),
                Added("e")
            ]
        );
        assert_eq!(lines("x\n", "x\n"), [Same("x")]);
        assert_eq!(lines("", "y"), [Added("y")]);
        let d = lines("1\n2\n3\n4\n", "2\n3\n5\n");
        assert_eq!(
            d,
            [Removed("1"), Same("2"), Same("3"), Removed("4"), Added("5")]
        );
    }
}

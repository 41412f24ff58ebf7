//! The fleet's page (`legcore report --from nats://…`): one row per instance that
//! shipped its journal to the stream, with the tracker's statistics (the numbers each
//! instance's own page shows, computed by the same [`Stats::compute`]) and a link to that
//! page, then the fleet's totals: counts summed, money summed per currency, exactly.

use std::fmt::Write as _;

use super::{esc, Journal, ReportError, STYLE};
use crate::journal::{Amounts, Stats, StatsError, COST, FEES, LOSS};

/// What the fleet row sums.
#[derive(Default)]
struct Totals {
    records: usize,
    executions: usize,
    filled: usize,
    incidents: usize,
    open: usize,
    fees: Amounts,
    shortfall: Amounts,
    incident_loss: Amounts,
}

impl Totals {
    fn add(&mut self, j: &Journal, s: &Stats) -> Result<(), ReportError> {
        self.records += j.records;
        self.executions += s.executions;
        self.filled += s.filled;
        self.incidents += s.incidents;
        self.open += s.open_groups.len();
        let sum = |t: &mut Amounts, x: &Amounts, what| {
            t.add_all(x, what)
                .map_err(|o| ReportError::Stats(StatsError(o)))
        };
        sum(&mut self.fees, &s.total_fees, "fleet fees")?;
        sum(&mut self.shortfall, &s.shortfall_quote, "fleet shortfall")?;
        sum(
            &mut self.incident_loss,
            &s.incident_loss,
            "fleet incident loss",
        )
    }
}

/// The fleet page for the journals read from `source`, each with its instance name (its
/// page is `<instance>/index.html` beside this one).
pub fn fleet_html(source: &str, journals: &[(String, Journal)]) -> Result<String, ReportError> {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>legcore fleet report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>legcore fleet report</h1>\n<p class=\"meta\">stream <code>{}</code> · {} \
         instances</p>\n<table id=\"fleet\">\n<tr><th>instance</th><th>strategy</th>\
         <th>records</th><th>executions</th><th>filled</th><th>incidents</th>\
         <th>open groups</th><th>fees</th><th>implementation shortfall</th>\
         <th>incident loss</th></tr>\n",
        esc(source),
        journals.len()
    );
    let mut t = Totals::default();
    for (name, j) in journals {
        let s = j.stats()?;
        t.add(j, &s)?;
        let strategy = j.strategy.as_deref().unwrap_or("-");
        row(
            &mut h,
            &format!("<a href=\"{0}/index.html\">{0}</a>", esc(name)),
            &esc(strategy),
            [
                j.records,
                s.executions,
                s.filled,
                s.incidents,
                s.open_groups.len(),
            ],
            [&s.total_fees, &s.shortfall_quote, &s.incident_loss],
        );
    }
    row(
        &mut h,
        "<b>fleet</b>",
        "",
        [t.records, t.executions, t.filled, t.incidents, t.open],
        [&t.fees, &t.shortfall, &t.incident_loss],
    );
    h += "</table>\n<p class=\"note\">Each instance's statistics are its own page's (and its \
          own <code>legcore stats --journal</code>); the fleet row sums them, money per \
          currency.</p>\n</body>\n</html>\n";
    Ok(h)
}

fn row(h: &mut String, name: &str, strategy: &str, counts: [usize; 5], money: [&Amounts; 3]) {
    let _ = write!(h, "<tr><td>{name}</td><td>{strategy}</td>");
    for c in counts {
        let _ = write!(h, "<td class=\"n\">{c}</td>");
    }
    for (m, words) in money.into_iter().zip([FEES, COST, LOSS]) {
        let _ = write!(h, "<td>{}</td>", esc(&m.named(words).to_string()));
    }
    h.push_str("</tr>\n");
}

"""The load report: what was read, what each cleaning rule did, and the rows set aside."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

# the rule that lists quarantined catalog rows with the rejects (cleaning.quarantine_untrusted_text):
# their products stay in the catalog and their order lines stay loaded
QUARANTINE_RULE = "untrusted_catalog_text"


@dataclass
class LoadReport:
    """Counts per file and per named cleaning rule; cleaning is reported, never silent.

    ``rule_counts`` maps a rule name to the number of rows it touched. Rules in
    ``rejecting_rules`` set rows aside (they are in ``rejected`` with a ``reason`` column);
    the others changed rows in place or re-typed them (e.g. cancellations became returns).
    """

    rows_read: dict[str, int] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)  # per file: encoding, delimiter, decimal mark used
    rule_counts: dict[str, int] = field(default_factory=dict)
    rejecting_rules: set[str] = field(default_factory=set)
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    # product id -> kind of untrusted text (cleaning.quarantine_untrusted_text): kept in the
    # catalog, never recommended or merged until the shop's policy clears the id
    quarantined_products: dict[str, str] = field(default_factory=dict)
    events_loaded: int = 0
    products: int = 0
    shoppers: int = 0
    seconds: float = 0.0

    def count(self, rule: str, n: int, *, rejects: bool) -> None:
        self.rule_counts[rule] = self.rule_counts.get(rule, 0) + int(n)
        if rejects:
            self.rejecting_rules.add(rule)

    @property
    def total_read(self) -> int:
        return sum(self.rows_read.values())

    @property
    def total_rejected(self) -> int:
        """Rows in the rejects file: order lines set aside and quarantined catalog rows."""
        return int(len(self.rejected))

    @property
    def lines_set_aside(self) -> int:
        """Order lines set aside: with the events kept, they account for every line read."""
        if self.rejected.empty or "reason" not in self.rejected.columns:
            return self.total_rejected
        return int((~self.rejected["reason"].astype(str).str.startswith(QUARANTINE_RULE)).sum())

    def to_text(self) -> str:
        """A table a person reads: files, rules with counts, and the totals."""
        lines = ["Load report"]
        for path, n in self.rows_read.items():
            how = f"  ({self.formats[path]})" if path in self.formats else ""
            lines.append(f"  read      {n:>10,}  {path}{how}")
        for rule, n in self.rule_counts.items():
            kind = "rejected" if rule in self.rejecting_rules else "changed "
            lines.append(f"  {kind}  {n:>10,}  {rule}")
        lines.append(
            f"  loaded    {self.events_loaded:>10,}  events "
            f"({self.shoppers:,} shoppers, {self.products:,} products) in {self.seconds:.1f}s"
        )
        return "\n".join(lines)

    def write_rejects(self, path: str | Path) -> Path:
        """Write the rows set aside, with file, line and reason, as CSV (gzipped if the name ends in .gz)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.rejected.to_csv(path, index=False)
        return path

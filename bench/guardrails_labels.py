"""The guardrails graded against a reader's labels: precision and recall per rule family.

Re-runs the checks of this checkout on every message of the labelled set (real eval-copy messages
with their briefs, labelled by a person on the team, see the file's header record) and prints the
per-family table, the recall on labelled fact/claim violations, the refusal rate of labelled-ok
copy and the send-as-is rate of what passes. ``--missed`` lists the misses to read.

    PYTHONPATH=. python bench/guardrails_labels.py [tests/data/copy_labels.jsonl] [--missed 8]

Several files are measured as one set: the labelled set and the blind draws' reads, with the template
folders the draws' older messages were written under (a push with a model-written title, an email
with a model-written subject):

    PYTHONPATH=. python bench/guardrails_labels.py tests/data/copy_labels.jsonl bench/copy-ranking*/records.jsonl \
      --earlier-prompts bench/prompts-draw* bench/prompts-before-draw25 --missed 0
"""

from __future__ import annotations

import argparse
from pathlib import Path
import subprocess


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labels", nargs="*", default=["tests/data/copy_labels.jsonl"])
    parser.add_argument("--catalog", default="tests/data/copy_labels_catalog.txt", help="the shop's product names (facts.products)")
    parser.add_argument("--missed", type=int, default=6, help="how many missed violations and wrongly refused ok messages to print")
    parser.add_argument("--earlier-prompts", nargs="*", default=[],
                        help="template folders for messages whose template asked for other parts than today's")
    parser.add_argument("--project", type=Path, default=None,
                        help="the project file whose [policy] the checks read (default: the one the draws and eval-copy "
                             "ran under, the demo shop's: a season checked with its hemisphere)")
    args = parser.parse_args()

    from contentgen.generate.labelled import guardrail_runner, load_labelled, measure, report_table
    from contentgen.project import load_project

    header, messages = load_labelled(args.labels[0])
    for more in args.labels[1:]:
        messages += load_labelled(more)[1]
    known = Path(args.catalog).read_text(encoding="utf-8").splitlines()
    report = measure(messages, guardrail_runner(known, earlier_prompts=args.earlier_prompts,
                                                     policy=load_project(args.project).policy))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"Guardrails at {commit or '?'} against {len(messages)} labelled messages ({header.get('labelled_by', '?')})\n")
    print(report_table(report))
    if args.missed:
        print("\nfact/claim violations that passed every check:")
        for rid, fams, text in report.missed[: args.missed]:
            print(f"  {rid} {','.join(fams)}: {' / '.join(l for l in text.splitlines() if l.strip())[:200]}")
        print("\nlabelled-ok copy refused:")
        for rid, checks, text in report.wrongly_refused[: args.missed]:
            print(f"  {rid} {','.join(checks)}: {' / '.join(l for l in text.splitlines() if l.strip())[:200]}")


if __name__ == "__main__":
    main()

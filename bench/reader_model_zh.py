"""Would a Chinese reader model help the Writer pick? Character n-grams, held out by draw.

The packaged reader model reads English only (its embedding, all-MiniLM-L6-v2, is English, and no
multilingual embedding model is packaged), so Chinese candidates are ranked without a reader term.
This fits a logistic regression over character 1-3 (or 2-4) grams, TF-IDF, on the blind reads of
every Chinese draw but one (31, 33, 35), scores the held-out draw's candidates, and re-picks it as
``replay_picks.py`` does (today's checks, the Writer's rounds) with those scores in the ranking:
the reader's send-as-is of the picks, against no reader term ("none").

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/reader_model_zh.py
"""

from __future__ import annotations

from pathlib import Path
import sys
import tempfile

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reader_model import auc  # noqa: E402
from replay_picks import checks_by_prompts, prompts_of, replay, rescored_copy  # noqa: E402

from contentgen.generate.labelled import load_labelled  # noqa: E402
from contentgen.generate.quality import rank  # noqa: E402
from contentgen.generate.reader_model import reader_text  # noqa: E402
from contentgen.generate.writer import WriterSettings  # noqa: E402

DRAWS = ("31", "33", "35")  # the read Chinese draws
SETTINGS = {  # name -> character n-gram range, minimum reads per n-gram, inverse regularisation
    "none": None,
    "chars 1-3, min 2, C 1": ((1, 3), 2, 1.0),
    "chars 1-3, min 3, C 1": ((1, 3), 3, 1.0),
    "chars 2-4, min 2, C 1": ((2, 4), 2, 1.0),
    "chars 1-3, min 2, C 4": ((1, 3), 2, 4.0),
}


def main() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    data = []
    for d in DRAWS:
        source = f"bench/copy-ranking-{d}/records.jsonl"
        _, messages = load_labelled(source)
        data += [(source, m) for m in messages if m.language == "zh" and not m.fallback and m.creative]
    print(f"{len(data)} reads of model-written Chinese candidates, {sum(m.send for _, m in data)} would send")
    texts = [reader_text(m.creative, m.brief) for _, m in data]
    labels = np.array([m.send for _, m in data])
    runs = checks_by_prompts()
    spare, per_round = WriterSettings().spare, WriterSettings().candidates
    print("\n| reader term | picks sendable, all | " + " | ".join(f"draw {d}: AUC, picks" for d in DRAWS) + " |")
    print("|---|---|" + "---|" * len(DRAWS))
    for name, setting in SETTINGS.items():
        sent = ready = 0
        cells = []
        for held in DRAWS:
            source = f"bench/copy-ranking-{held}/records.jsonl"
            train = [i for i, (s, _) in enumerate(data) if s != source]
            test = [i for i, (s, _) in enumerate(data) if s == source]
            score, area = None, float("nan")
            if setting:
                ngram_range, min_df, c = setting
                vectorizer = TfidfVectorizer(analyzer="char", ngram_range=ngram_range, min_df=min_df, sublinear_tf=True)
                fitted = LogisticRegression(C=c, max_iter=3000).fit(vectorizer.fit_transform([texts[i] for i in train]), labels[train])
                p = fitted.predict_proba(vectorizer.transform([texts[i] for i in test]))[:, 1]
                area = auc(list(p), list(labels[test]))
                score = {(data[i][0], data[i][1].id): float(q) for i, q in zip(test, p)}
            folder = Path(f"bench/copy-ranking-{held}")
            with tempfile.TemporaryDirectory() as scratch:
                t = replay(rescored_copy(folder, Path(scratch), score), runs[prompts_of(folder)], 2, spare, per_round, rank)
            sent += t["send"]
            ready += t["ready"]
            cells.append(f"{area:.2f}, {t['send']}/{t['ready']}")
        print(f"| {name} | {sent}/{ready} = {sent / ready:.0%} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()

"""The judgement on the labelled Enron set (scripts/data/judgement-labels.jsonl): the dev split,
read offline the way the daemon reads the user's last message, stays at precision and recall of
0.9 or better, so a change to the rules that costs either fails here. The test split is never
asserted in the suite (it would then be tuned against); `scripts/eval_judgement --final` reports
it. Skips when ../shared/corpus is not beside the repository."""

from __future__ import annotations

import pytest

from scripts.eval_judgement_impl import offline_drafted
from scripts.judgement_labels import CORPUS, labels, score


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpus is not beside the repository")
def test_the_dev_split_stays_above_nine_tenths() -> None:
    dev = [r for r in labels() if r.split == "dev"]
    assert len(dev) > 200
    got = score((r, offline_drafted(r)) for r in dev)
    assert got["precision"] >= 0.9 and got["recall"] >= 0.9, got

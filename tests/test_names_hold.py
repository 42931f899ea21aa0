"""Names that hold from one file to the next: a steady customer keeps their segment's name."""

from __future__ import annotations

import pytest

from segmentation import run
from segmentation.samples import STEADY_CHAMPIONS, back_to_back_months


def _names(result) -> dict[str, str]:
    table = result.table
    return dict(zip(table[table.columns[0]].astype(str), table["segment_name"], strict=True))


@pytest.mark.parametrize("seed", [1])
def test_steady_champions_keep_their_name_next_month(seed: int) -> None:
    may, june = back_to_back_months(STEADY_CHAMPIONS, seed=seed)
    before = _names(run(may.orders.to_csv(index=False).encode(), filename="may.csv"))
    after = _names(run(june.orders.to_csv(index=False).encode(), filename="june.csv"))
    champions = [c for c, g in june.truth.items() if g == "champions" and c in before]
    assert len(champions) == 80
    moved = [c for c in champions if before[c] != after[c]]
    assert len(moved) <= 4, f"{len(moved)} of 80 steady champions changed name"


# Seeds 0 and 2 reproduce the issue: the clustering puts half (seed 0) or all (seed 2) of the
# steady champions in with the regulars in one of the two months, and the segment is named
# "Loyal". Naming alone cannot hold them (Loyal fits them too); see the report of issue 16.
@pytest.mark.xfail(strict=True, reason="issue 16 point 10: champions merged with regulars")
@pytest.mark.parametrize("seed", [0, 2])
def test_steady_champions_merged_with_regulars_keep_their_name(seed: int) -> None:
    test_steady_champions_keep_their_name_next_month(seed)

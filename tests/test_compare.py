"""Comparing two runs: segments keep their identity, and customers who moved are counted."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from segmentation.cli import main
from segmentation.demo import demo_csv
from segmentation.errors import InvalidOption
from segmentation.model.compare import GONE, NEW, RunSnapshot, carry_colours, compare, snapshot
from segmentation.output.render import render_movement
from segmentation.pipeline import run
from segmentation.result import Options

CENTRES = {"a": (20.0, 20.0), "b": (80.0, 20.0), "c": (50.0, 85.0)}


def _blobs(groups: dict[str, list[int]], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for group, ids in groups.items():
        cx, cy = CENTRES[group]
        for cid in ids:
            rows.append((f"C{cid:04d}", cx + rng.normal(0, 4), cy + rng.normal(0, 4)))
    return pd.DataFrame(rows, columns=["Customer ID", "Income", "Spend"]).sample(
        frac=1, random_state=seed
    )


def _segment_of(result, cid: str) -> str:
    table = result.table
    return str(table.loc[table["Customer ID"] == cid, "segment_name"].iloc[0])


def test_identical_runs_map_one_to_one() -> None:
    snap = snapshot(run(demo_csv(), filename="mall.csv"))
    movement = compare(snap, snap)
    assert [s.current for s in movement.segments] == [s.previous for s in movement.segments]
    assert movement.matched_customers == 200
    assert movement.new_customers == 0 and movement.gone_customers == 0
    assert all(f.source == f.target for f in movement.flows)
    assert "Since mall.csv" in movement.lines()[0]


def test_a_planted_shift_shows_in_the_flows() -> None:
    opts = Options(k=3)
    before = _blobs(
        {"a": list(range(0, 120)), "b": list(range(120, 220)), "c": list(range(220, 300))}, 1
    )
    # A month later: 40 of group a now look like group c, 25 of b left, 30 customers are new.
    after = _blobs(
        {
            "a": list(range(40, 120)),
            "b": list(range(120, 195)),
            "c": list(range(0, 40)) + list(range(220, 300)) + list(range(300, 330)),
        },
        2,
    )
    old, new = run(before, opts, filename="may.csv"), run(after, opts, filename="june.csv")
    movement = compare(snapshot(old), snapshot(new))
    a_then = _segment_of(old, "C0050")
    a_now, c_now = _segment_of(new, "C0050"), _segment_of(new, "C0250")
    flows = {(f.source, f.target): f.customers for f in movement.flows}
    assert flows[(a_then, c_now)] == 40
    assert flows[(a_then, a_now)] == 80
    assert flows[(NEW, c_now)] == 30
    assert flows[(_segment_of(old, "C0150"), GONE)] == 25
    assert movement.matched_customers == 275
    # Every segment continues: the centres did not move, only people did.
    assert all(s.current and s.previous for s in movement.segments)
    text = "\n".join(movement.lines())
    assert f"40 of last time's {a_then} are now {c_now}" in text
    assert "30 are new and 25 are gone" in text


def test_a_continuing_segment_keeps_its_colour() -> None:
    before = _blobs(
        {"a": list(range(0, 150)), "b": list(range(150, 250)), "c": list(range(250, 300))}, 3
    )
    # Sizes reverse, so the segments are numbered (and coloured by number) the other way round.
    after = _blobs(
        {"a": list(range(0, 50)), "b": list(range(150, 250)), "c": list(range(250, 400))}, 4
    )
    old, new = run(before, Options(k=3)), run(after, Options(k=3))
    movement = compare(snapshot(old), snapshot(new))
    recoloured = carry_colours(new, movement)
    colour_then = {s.name: s.color for s in old.segments}
    for seg in recoloured.segments:
        change = next(c for c in movement.segments if c.current == seg.name)
        assert seg.color == colour_then[change.previous]
    assert len({s.color for s in recoloured.segments}) == 3


def test_without_a_customer_key_only_sizes_are_compared() -> None:
    frame = pd.read_csv(__import__("io").BytesIO(demo_csv())).drop(columns=["CustomerID"])
    snap = snapshot(run(frame, filename="nokey.csv"))
    assert snap.members is None
    movement = compare(snap, snap)
    assert not movement.keyed and movement.flows == ()
    assert "sizes only" in " ".join(movement.lines())
    assert render_movement(movement).startswith(b"\x89PNG")


def test_a_snapshot_survives_json() -> None:
    snap = snapshot(run(demo_csv(), filename="mall.csv"), when="2026-06-03")
    again = RunSnapshot.from_dict(json.loads(json.dumps(snap.to_dict(members=True))))
    assert again == snap
    assert "(3 Jun)" in compare(again, snap).lines()[0]


def test_different_measures_are_not_compared() -> None:
    a = snapshot(run(demo_csv(), Options(columns=("Age", "Annual Income (k$)"))))
    b = snapshot(run(demo_csv()))
    with pytest.raises(InvalidOption, match="can't be compared"):
        compare(a, b)


def test_cli_compare_leads_with_the_movement(tmp_path, capsys) -> None:
    before = _blobs(
        {"a": list(range(0, 120)), "b": list(range(120, 220)), "c": list(range(220, 300))}, 1
    )
    after = _blobs(
        {
            "a": list(range(40, 120)),
            "b": list(range(120, 220)),
            "c": list(range(0, 40)) + list(range(220, 300)),
        },
        2,
    )
    old, new = tmp_path / "may.csv", tmp_path / "june.csv"
    before.to_csv(old, index=False)
    after.to_csv(new, index=False)
    assert main([str(new), "--compare", str(old), "--k", "3", "--out", str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Since may.csv")
    assert "40 of last time's" in text
    png = tmp_path / "out" / "movement.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    assert main([str(new), "--compare", str(old), "--k", "3", "--json"]) == 0
    movement = json.loads(capsys.readouterr().out)["movement"]
    assert movement["previous"] == {"source": "may.csv", "rows": 300, "k": 3}
    assert movement["matched_customers"] == 300
    assert sum(f["customers"] for f in movement["flows"]) == 300
    assert {"current", "previous", "size_before", "size_after"} == set(movement["segments"][0])
    assert "C0001" not in json.dumps(movement)


def test_cli_compare_with_a_missing_file_says_so(tmp_path, capsys) -> None:
    assert main(["demo", "--compare", str(tmp_path / "nope.csv")]) == 2
    assert "couldn't find" in capsys.readouterr().err


def test_a_name_left_on_both_sides_continues() -> None:
    before = _blobs({"a": list(range(0, 100)), "b": list(range(100, 200))}, 5)
    snap = snapshot(run(before, Options(k=2)))
    far = replace(
        snap,
        segments=tuple(replace(s, centre=tuple(v + 50.0 for v in s.centre)) for s in snap.segments),
        members=None,
    )
    movement = compare(snap, far)
    assert [(c.current, c.previous) for c in movement.segments] == [
        (s.name, s.name) for s in snap.segments
    ]


def test_the_movement_picture_shows_every_flow_in_its_cell() -> None:
    from segmentation.output.render import build_movement_figure

    before = _blobs({"a": list(range(0, 120)), "b": list(range(120, 220))}, 1)
    after = _blobs({"a": list(range(40, 120)), "b": list(range(0, 40)) + list(range(120, 250))}, 2)
    movement = compare(snapshot(run(before, Options(k=2))), snapshot(run(after, Options(k=2))))
    ax = build_movement_figure(movement).axes[0]
    cells = {t.get_text() for t in ax.texts}
    assert {f"{f.customers:,}" for f in movement.flows} == cells
    assert "new customers" in [t.get_text() for t in ax.get_yticklabels()]
    # Columns are this time's segments in order, then "gone"; each label in its segment colour.
    labels = ax.get_xticklabels()
    for label, name in zip(labels, movement.current_names, strict=False):
        change = next(c for c in movement.segments if c.current == name)
        assert label.get_text().replace("\n", " ") == name
        assert label.get_color() == change.color
    assert labels[-1].get_text() == "gone"

"""Start fast: what a new ``segment`` process imports before it answers (no timings here)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "sklearn", "matplotlib", "scipy", "pyarrow")

CHILD = """
import contextlib, io, json, sys
from segmentation.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
roots = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps({"code": code, "out": out.getvalue(), "modules": roots}))
"""


def loaded_by(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_help_imports_nothing_heavy() -> None:
    child = loaded_by("--help")
    assert child["code"] == 0
    assert "usage: segment" in str(child["out"])
    assert not set(HEAVY) & set(child["modules"]), child["modules"]


def test_a_bad_option_is_answered_without_the_heavy_stack() -> None:
    child = loaded_by("demo", "--k", "many")
    assert child["code"] == 2
    assert not set(HEAVY) & set(child["modules"]), child["modules"]


# The work itself (what ``segment`` runs in its time-limited child), run in this process.
WORK = """
import contextlib, io, json, sys
from segmentation.cli import _parser, _run
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = _run(_parser().parse_args(sys.argv[1:]))
roots = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps({"code": code, "out": out.getvalue(), "modules": roots}))
"""


def test_json_run_never_imports_matplotlib() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WORK, "demo", "--json"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    child = json.loads(done.stdout.strip().splitlines()[-1])
    assert child["code"] == 0
    assert json.loads(str(child["out"]))["k"] >= 2
    assert "pandas" in child["modules"]  # it did the work in this process
    assert "matplotlib" not in child["modules"]


def test_json_run_answers_through_the_time_limited_child() -> None:
    child = loaded_by("demo", "--json")
    assert child["code"] == 0
    assert json.loads(str(child["out"]))["k"] >= 2
    assert "pandas" not in child["modules"]  # the work ran in the child, not here


def test_public_names_load_on_first_use() -> None:
    code = (
        "import sys, segmentation; light = 'pandas' not in sys.modules; "
        "from segmentation import *; "
        "missing = [n for n in segmentation.__all__ if n not in globals()]; "
        "print(light, missing, callable(segmentation.run), segmentation.Options().seed)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "[]", "True", "42"]
    broken = subprocess.run(
        [sys.executable, "-c", "import segmentation; segmentation.nothing_here"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "AttributeError: module 'segmentation' has no attribute 'nothing_here'" in broken.stderr

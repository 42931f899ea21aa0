"""Imported once in the time limit's fork server (segmentation.deadline): one small segmentation,
drawn and exported, so that caches filled on first use (scikit-learn's input checks, matplotlib's
fonts) are filled there and every forked job starts warm. Never imported elsewhere."""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def _warm_up() -> None:
    from segmentation.demo import demo_csv
    from segmentation.output.export import export_csv
    from segmentation.output.render import render_scatter
    from segmentation.pipeline import run

    # One thread, as every fit in the core: no OpenMP pool is started in the fork server, so
    # its children do not inherit one (GNU OpenMP is not safe across fork once its pool runs).
    with threadpool_limits(limits=1):
        result = run(demo_csv(), filename="demo.csv")
        render_scatter(result)
        export_csv(result)


try:
    _warm_up()
except Exception:  # pragma: no cover - a cold start is slower, never wrong
    pass

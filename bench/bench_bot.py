"""The Slack bot under load: acknowledgement latency, and a file drop's time to a full answer.

Everything runs in this process over real loopback HTTP: the fake Slack server from the tests,
the real bot in HTTP mode (waitress), requests signed as Slack signs them.

1. Ack latency: 30 ``/segment demo k=3`` sent one at a time on an idle bot (the baseline), then
   30 at once while both workers are busy segmenting the Mall Customers file. Printed: median
   and worst of each, and the ratio loaded/baseline. Slack's limit is 3 s per ack.
2. Drop to answer: the Mall Customers file shared in a channel, from the event to the last
   Slack call of the answer (message + PNG + CSV), split into stages from the times the calls
   reached the fake Slack; compared with the core alone (run + render + export) on the same
   bytes.
3. Click to answer: a "More segments" click on that answer (a signed ``block_actions``), from
   the click to the new answer in the thread and to its last upload, split into the ack, the
   listener's files.info, and the worker's stages; compared, in the same process, with the
   file drop's own time to its answer (the baseline) and with the core alone at k+1.

Run: python bench/bench_bot.py [--repeat N] [--part acks|drop|click]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from bot.slack.blocks.buttons import ACTION_MORE  # noqa: E402
from segmentation import Options, demo_csv, export_csv, render_scatter, run  # noqa: E402
from tests.bot.harness import MALL_CUSTOMERS, HttpAnswer, HttpBot  # noqa: E402
from tests.bot.slack_server import Call, FakeSlack, wait_until  # noqa: E402

BURST = 30


def _mall_bytes() -> tuple[bytes, str]:
    if MALL_CUSTOMERS.is_file():
        return MALL_CUSTOMERS.read_bytes(), "Mall_Customers.csv"
    print(f"({MALL_CUSTOMERS} not found: using the built-in demo sample instead)")
    return demo_csv(), "demo.csv"


def _summary(seconds: list[float]) -> str:
    return (
        f"median {statistics.median(seconds) * 1000:7.1f} ms, worst {max(seconds) * 1000:7.1f} ms"
    )


def bench_acks(data: bytes, name: str) -> None:
    """Ack latency: one at a time on an idle bot vs 30 at once with both workers busy."""
    with FakeSlack() as slack:
        bot = HttpBot(slack, SEGBOT_WORKERS="2")
        try:
            baseline = []
            for i in range(BURST):
                done = len(slack.calls("files.completeUploadExternal"))
                baseline.append(bot.command("demo k=3", key=f"base{i}").seconds)
                slack.wait_calls("files.completeUploadExternal", done + 1, timeout=60)

            done = len(slack.calls("files.completeUploadExternal"))
            for channel in ("C0NORTH", "C0SOUTH"):
                file = slack.add_file(name, data, channel=channel)
                bot.event(slack.file_share_message_event(file))
            # Both workers are in the CPU-heavy part once both downloads have been served.
            wait_until(lambda: len(slack.calls("download")) >= 2 or None, what="downloads")

            answers: dict[int, HttpAnswer] = {}
            gate = threading.Barrier(BURST)

            def send(i: int) -> None:
                gate.wait()
                answers[i] = bot.command("demo k=3", key=f"load{i}")

            threads = [threading.Thread(target=send, args=(i,)) for i in range(BURST)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            busy_at_end = sum(bot.runtime.queue.counts())
            slack.wait_calls("files.completeUploadExternal", done + BURST + 2, timeout=300)
        finally:
            bot.close()

    loaded = [a.seconds for a in answers.values()]
    print(f"\nAck latency, {BURST} x '/segment demo k=3' (Slack allows 3000 ms)")
    print(f"  one at a time, idle bot      : {_summary(baseline)}")
    print(f"  {BURST} at once, workers busy    : {_summary(loaded)}")
    median_ratio = statistics.median(loaded) / statistics.median(baseline)
    print(
        f"  ratio loaded/idle            : median x{median_ratio:.1f}, "
        f"worst x{max(loaded) / max(baseline):.1f}"
    )
    print(f"  jobs still queued after the burst was acked: {busy_at_end}")
    print(f"  all acked with status 200    : {all(a.status == 200 for a in answers.values())}")


def bench_drop(data: bytes, name: str, repeat: int) -> None:
    """A file drop's time to the full answer, by stage, vs the core alone."""
    stages: dict[str, list[float]] = {
        k: []
        for k in (
            "ack",
            "files.info",
            "download",
            "segment+message",
            "upload URL",
            "upload files",
            "total",
        )
    }
    core = []

    def core_alone() -> float:
        start = time.perf_counter()
        result = run(data, filename=name)
        render_scatter(result)
        export_csv(result)
        return time.perf_counter() - start

    # The core runs in a worker thread, as in the bot: on the main thread scikit-learn's OpenMP
    # pool oversubscribes a busy machine and the same call can take several times longer.
    # Interleaved with the bot runs, so that a noisy neighbour slows both sides alike.
    for _ in range(repeat):
        with ThreadPoolExecutor(max_workers=1) as executor:
            core.append(executor.submit(core_alone).result())

        with FakeSlack() as slack:
            bot = HttpBot(slack, SEGBOT_WORKERS="2")
            try:
                file = slack.add_file(name, data, channel="C0MKT")
                sent = time.monotonic()
                answer = bot.event(slack.file_share_message_event(file))
                slack.wait_calls("files.completeUploadExternal", timeout=60)
            finally:
                bot.close()

            def at(method: str) -> float:
                return [c.at for c in slack.calls(method) if c.status == 200][0]

            info, download, post = at("files.info"), at("download"), at("chat.postMessage")
            complete = at("files.completeUploadExternal")
            stages["ack"].append(answer.seconds)
            stages["files.info"].append(info - sent)
            stages["download"].append(download - info)
            stages["segment+message"].append(post - download)
            upload_start = at("files.getUploadURLExternal")
            stages["upload URL"].append(upload_start - post)
            stages["upload files"].append(complete - upload_start)
            stages["total"].append(complete - sent)

    print(f"\nDrop to answer: {name} ({len(data):,} bytes), median of {repeat}")
    for stage, seconds in stages.items():
        print(f"  {stage:<16}: {statistics.median(seconds) * 1000:7.1f} ms")
    core_median = statistics.median(core)
    total = statistics.median(stages["total"])
    print(f"  core alone (run + render + export, worker thread): {core_median * 1000:7.1f} ms")
    print(f"  ratio bot/core   : x{total / core_median:.2f}")
    print(f"  (bot total per run: {', '.join(f'{t * 1000:.0f}' for t in stages['total'])} ms;")
    print(f"   core per run     : {', '.join(f'{t * 1000:.0f}' for t in core)} ms)")


def bench_click(data: bytes, name: str, repeat: int) -> None:
    """Click "More segments" on an answer: time to the new answer, by stage, vs the drop."""
    stages: dict[str, list[float]] = {
        k: []
        for k in (
            "ack",
            "files.info",
            "download",
            "segment+message",
            "click to answer",
            "click to files",
        )
    }
    drops: list[float] = []
    core: list[float] = []
    k_first = k_new = 0

    def core_alone(k: int) -> float:
        start = time.perf_counter()
        result = run(data, Options(k=k), filename=name)
        render_scatter(result)
        export_csv(result)
        return time.perf_counter() - start

    def answers(slack: FakeSlack) -> list[dict[str, Any]]:
        return [m for m in slack.messages if any(b["type"] == "actions" for b in m["blocks"])]

    for _ in range(repeat):
        with FakeSlack() as slack:
            bot = HttpBot(slack, SEGBOT_WORKERS="2")
            try:
                file = slack.add_file(name, data, channel="C0MKT")
                sent = time.monotonic()
                bot.event(slack.file_share_message_event(file))
                slack.wait_calls("files.completeUploadExternal", timeout=60)
                drops.append(slack.calls("files.completeUploadExternal")[0].at - sent)
                bot.wait_idle()
                first = answers(slack)[0]
                buttons = next(b for b in first["blocks"] if b["type"] == "actions")
                k_first = int(json.loads(buttons["elements"][0]["value"])["k"])
                click = slack.block_actions_body(first, ACTION_MORE)
                calls_before = len(slack.calls_log)
                clicked = time.monotonic()
                ack = bot.interactive(click)
                slack.wait_calls("files.completeUploadExternal", 2, timeout=60)
                bot.wait_idle()
            finally:
                bot.close()
            new = answers(slack)[1]
            k_new = k_first + 1
            assert f"{k_new} segments instead of {k_first}" in str(new["blocks"])
            after = [c for c in slack.calls_log[calls_before:] if c.status == 200]

            def at(method: str, calls: list[Call] = after) -> float:
                return [c.at for c in calls if c.method == method][0]

            info_listener = at("files.info")
            worker_info = [c.at for c in after if c.method == "files.info"][-1]
            stages["ack"].append(ack.seconds)
            stages["files.info"].append(info_listener - clicked)
            stages["download"].append(at("download") - worker_info)
            stages["segment+message"].append(at("chat.postMessage") - at("download"))
            stages["click to answer"].append(at("chat.postMessage") - clicked)
            stages["click to files"].append(at("files.completeUploadExternal") - clicked)
        with ThreadPoolExecutor(max_workers=1) as executor:
            core.append(executor.submit(core_alone, k_new).result())

    print(
        f"\nClick to answer: 'More segments' ({k_first} -> {k_new}) on {name}, median of {repeat}"
    )
    for stage, seconds in stages.items():
        print(f"  {stage:<16}: {statistics.median(seconds) * 1000:7.1f} ms")
    click_total = statistics.median(stages["click to files"])
    print(f"  drop to files (baseline, same process): {statistics.median(drops) * 1000:7.1f} ms")
    core_ms = statistics.median(core) * 1000
    print(f"  core alone at k={k_new} (run + render + export): {core_ms:7.1f} ms")
    print(f"  ratio click/drop : x{click_total / statistics.median(drops):.2f}")
    print(f"  ratio click/core : x{click_total / statistics.median(core):.2f}")
    per_run = ", ".join(f"{t * 1000:.0f}" for t in stages["click to files"])
    print(f"  (click to files per run: {per_run} ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="drops to time (default 5)")
    parser.add_argument("--part", choices=("all", "acks", "drop", "click"), default="all")
    args = parser.parse_args()
    data, name = _mall_bytes()
    if args.part in ("all", "acks"):
        bench_acks(data, name)
    if args.part in ("all", "drop"):
        bench_drop(data, name, args.repeat)
    if args.part in ("all", "click"):
        bench_click(data, name, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Durable jobs: the real ``python -m bot`` processes, killed and restarted; one answer per file."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.queue import RedisLedger, SqliteLedger
from segmentation import demo_csv, generate_customers
from tests.bot.harness import BotProcess
from tests.bot.redis_server import RedisServer
from tests.bot.slack_server import FakeSlack, wait_until

# Short leases so a job whose worker was killed is taken over within seconds, not 30 s.
FAST = {"SEGBOT_JOB_LEASE_S": "3", "SEGBOT_WORKERS": "2"}
HEAVY = ("pandas", "sklearn", "matplotlib", "scipy")
SLACK_ACK_LIMIT_S = 3.0


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    """Every bot process a test starts is killed at the end, whatever happened."""
    started: list[BotProcess] = []
    yield started
    for process in started:
        process.close()


def drop(bot: BotProcess, slack: FakeSlack, file: dict[str, Any]) -> None:
    """Slack's two events for one upload; each acked with 200."""
    assert bot.event(slack.file_shared_event(file)).status == 200
    assert bot.event(slack.file_share_message_event(file)).status == 200


def share_ts(file: dict[str, Any]) -> str:
    """The ts of the message that shared ``file`` (its answer goes in that thread)."""
    shares = file["shares"]["public"]
    return str(next(iter(shares.values()))[0]["ts"])


def answers_by_thread(slack: FakeSlack) -> Counter[str]:
    """How many segment answers (messages with blocks) were posted in each thread."""
    return Counter(
        str(call.params.get("thread_ts"))
        for call in slack.calls("chat.postMessage")
        if call.status == 200 and call.params.get("blocks")
    )


def test_killed_before_answering_then_restarted_answers_each_file_once(
    slack: FakeSlack, tmp_path: Path, mall_customers: bytes, processes: list[BotProcess]
) -> None:
    env = dict(FAST, SEGBOT_DATA_DIR=str(tmp_path / "data"))
    slack.delay("download", 5.0)  # the first bot never gets as far as answering
    bot = BotProcess(slack, [], tmp_path / "first.log", **env)
    processes.append(bot)
    files = [slack.add_file(f"shop-{i}.csv", mall_customers, channel="C0MKT") for i in range(6)]
    for file in files:
        drop(bot, slack, file)
    ledger = SqliteLedger(tmp_path / "data" / "queue.db", lease_s=3, queue_max=50)
    # Both workers hold a job (downloading) when the machine dies.
    wait_until(lambda: ledger.counts()[0] >= 2 or None, 60, "two jobs in the workers' hands")
    assert answers_by_thread(slack) == Counter()
    bot.kill()

    slack.delay("download", 0.0)
    again = BotProcess(slack, [], tmp_path / "second.log", **env)
    processes.append(again)
    wait_until(lambda: len(answers_by_thread(slack)) == 6 or None, 90, "six answers")
    wait_until(lambda: ledger.counts() == (0, 0) or None, 30, "an idle queue")
    assert answers_by_thread(slack) == Counter({share_ts(f): 1 for f in files})
    assert len(slack.calls("files.completeUploadExternal")) == 6
    assert "Queueing file:" in again.log()  # the two jobs in hand came back through the sweep


def test_sigterm_finishes_the_job_in_hand_and_keeps_the_rest(
    slack: FakeSlack, tmp_path: Path, mall_customers: bytes, processes: list[BotProcess]
) -> None:
    env = dict(FAST, SEGBOT_WORKERS="1", SEGBOT_DATA_DIR=str(tmp_path / "data"))
    slack.delay("download", 2.0)
    bot = BotProcess(slack, [], tmp_path / "first.log", **env)
    processes.append(bot)
    files = [slack.add_file(f"list-{i}.csv", mall_customers, channel="C0MKT") for i in range(3)]
    for file in files:
        drop(bot, slack, file)
    ledger = SqliteLedger(tmp_path / "data" / "queue.db", lease_s=3, queue_max=50)
    wait_until(lambda: ledger.counts()[0] >= 1 or None, 60, "a job in the worker's hands")

    assert bot.terminate() == 0  # as a platform stops a machine before a restart
    finished = answers_by_thread(slack)
    assert sum(finished.values()) >= 1  # the job in hand was answered before the exit

    slack.delay("download", 0.0)
    again = BotProcess(slack, [], tmp_path / "second.log", **env)
    processes.append(again)
    wait_until(lambda: len(answers_by_thread(slack)) == 3 or None, 60, "three answers")
    wait_until(lambda: ledger.counts() == (0, 0) or None, 30, "an idle queue")
    assert answers_by_thread(slack) == Counter({share_ts(f): 1 for f in files})


def test_the_listener_process_never_loads_the_heavy_stack(
    slack: FakeSlack, tmp_path: Path, mall_customers: bytes, processes: list[BotProcess]
) -> None:
    report = (
        "import atexit, sys\n"
        f"heavy = {HEAVY!r}\n"
        "atexit.register(lambda: print('HEAVY=' + ','.join(sorted({m.split('.')[0] for m in "
        "sys.modules if m.split('.')[0] in heavy})), flush=True))\n"
        "from bot.app import main\n"
        "sys.exit(main())\n"
    )
    env = dict(FAST, SEGBOT_DATA_DIR=str(tmp_path / "data"))
    listener = BotProcess(
        slack, ["--no-worker"], tmp_path / "listener.log", python_args=("-c", report), **env
    )
    processes.append(listener)
    file = slack.add_file("customers.csv", mall_customers, channel="C0MKT")
    drop(listener, slack, file)
    answer = listener.command("demo k=3")
    assert answer.status == 200 and "Working on the demo sample" in answer.text
    assert listener.command("help").status == 200

    ledger = SqliteLedger(tmp_path / "data" / "queue.db", lease_s=3, queue_max=50)
    assert ledger.counts() == (0, 2)  # both jobs wait for a worker; none runs here
    assert listener.terminate() == 0
    assert "HEAVY=\n" in listener.log(), listener.log()


def worker_children(supervisor: BotProcess) -> set[int]:
    """The pids of the worker processes a ``python -m bot worker`` supervisor forked."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == supervisor.process.pid:
            children.add(int(stat.parent.name))
    return children


def running_owners(ledger: RedisLedger) -> set[int]:
    """The pids of the workers holding a job right now (owner is host:pid:nonce)."""
    now = time.time()
    return {
        int(record["owner"].split(":")[1])
        for record in ledger.open_records()
        if record["state"] == "running" and record["lease_until"] > now
    }


def test_two_listeners_and_two_workers_on_redis_answer_each_file_once(
    slack: FakeSlack,
    tmp_path: Path,
    mall_customers: bytes,
    redis_server: RedisServer,
    processes: list[BotProcess],
) -> None:
    env = dict(FAST, SEGBOT_WORKERS="1", SEGBOT_QUEUE_URL=redis_server.url)
    listeners = [
        BotProcess(slack, ["--no-worker"], tmp_path / f"listener-{i}.log", **env) for i in (1, 2)
    ]
    workers = [BotProcess(slack, ["worker"], tmp_path / f"worker-{i}.log", **env) for i in (1, 2)]
    processes.extend(listeners + workers)
    slack.delay("download", 0.5)  # long enough to catch a worker in the middle of a job

    files = [slack.add_file(f"region-{i}.csv", mall_customers, channel="C0MKT") for i in range(20)]
    dropped: dict[str, float] = {}
    for i, file in enumerate(files):
        first, second = listeners[i % 2], listeners[(i + 1) % 2]
        dropped[share_ts(file)] = time.monotonic()
        # The two events of one upload reach different listeners, and Slack retries some.
        assert first.event(slack.file_shared_event(file)).status == 200
        assert second.event(slack.file_share_message_event(file)).status == 200
        if i % 4 == 0:
            assert second.event(slack.file_shared_event(file), retry_num=1).status == 200

    ledger = RedisLedger(redis_server.url, lease_s=3, queue_max=50)
    wait_until(
        lambda: running_owners(ledger) & worker_children(workers[0]) or None,
        60,
        "the first worker in the middle of a job",
    )
    workers[0].kill()
    workers.append(BotProcess(slack, ["worker"], tmp_path / "worker-1-again.log", **env))
    processes.append(workers[-1])

    wait_until(lambda: len(answers_by_thread(slack)) == 20 or None, 120, "twenty answers")
    wait_until(lambda: ledger.counts() == (0, 0) or None, 30, "an idle queue")
    assert answers_by_thread(slack) == Counter({share_ts(f): 1 for f in files})
    for call in slack.calls("chat.postMessage"):
        if call.params.get("blocks"):
            assert call.at - dropped[str(call.params["thread_ts"])] < 60
    assert len(slack.calls("files.completeUploadExternal")) == 20


def test_redis_down_acks_in_time_with_one_sentence_and_recovers(
    slack: FakeSlack,
    tmp_path: Path,
    mall_customers: bytes,
    redis_server: RedisServer,
    processes: list[BotProcess],
) -> None:
    env = dict(FAST, SEGBOT_WORKERS="1", SEGBOT_QUEUE_URL=redis_server.url)
    bot = BotProcess(slack, [], tmp_path / "bot.log", **env)
    processes.append(bot)
    ledger = RedisLedger(redis_server.url, lease_s=3, queue_max=50)

    # A job is in the worker's hands when Redis goes away; it must still be answered once.
    slack.delay("download", 3.0)
    accepted = slack.add_file("accepted.csv", mall_customers, channel="C0MKT")
    drop(bot, slack, accepted)
    wait_until(lambda: ledger.counts()[0] >= 1 or None, 60, "the job in the worker's hands")
    redis_server.stop()

    answer = bot.command("demo k=3")
    assert answer.status == 200 and answer.seconds < SLACK_ACK_LIMIT_S
    assert "can't take new work right now" in answer.text
    refused = slack.add_file("refused.csv", mall_customers, channel="C0MKT")
    for event in (slack.file_shared_event(refused), slack.file_share_message_event(refused)):
        acked = bot.event(event)
        assert acked.status == 200 and acked.seconds < SLACK_ACK_LIMIT_S

    # Events are acked first: the sentence follows the ack, once for both events.
    def told() -> list[Any]:
        return [
            call
            for call in slack.calls("chat.postMessage")
            if call.params.get("thread_ts") == share_ts(refused)
        ]

    said = wait_until(lambda: told() or None, 30, "the sentence for the refused file")
    time.sleep(1.0)  # room for a second sentence, which must not come
    assert len(told()) == 1 and "can't take new work right now" in said[0].params["text"]
    assert bot.process.poll() is None  # still up

    redis_server.start()
    slack.delay("download", 0.0)
    later = slack.add_file("later.csv", mall_customers, channel="C0MKT")
    wait_until(lambda: _accepted(bot, slack, later), 30, "the bot taking work again")
    wait_until(lambda: len(answers_by_thread(slack)) == 2 or None, 60, "two answers")
    wait_until(lambda: ledger.counts() == (0, 0) or None, 30, "an idle queue")
    assert answers_by_thread(slack) == Counter({share_ts(accepted): 1, share_ts(later): 1})


def _accepted(bot: BotProcess, slack: FakeSlack, file: dict[str, Any]) -> bool:
    drop(bot, slack, file)
    return not any(
        "can't take new work" in str(call.params.get("text"))
        for call in slack.calls("chat.postMessage")
        if call.params.get("thread_ts") == share_ts(file)
    )


def test_workers_told_to_stop_now_hand_their_job_back(
    slack: FakeSlack, tmp_path: Path, mall_customers: bytes, processes: list[BotProcess]
) -> None:
    env = dict(FAST, SEGBOT_WORKERS="1", SEGBOT_DATA_DIR=str(tmp_path / "data"))
    listener = BotProcess(slack, ["--no-worker"], tmp_path / "listener.log", **env)
    workers = BotProcess(slack, ["worker"], tmp_path / "workers.log", **env)
    processes.extend([listener, workers])
    slack.delay("download", 4.0)
    file = slack.add_file("handed-back.csv", mall_customers, channel="C0MKT")
    drop(listener, slack, file)
    ledger = SqliteLedger(tmp_path / "data" / "queue.db", lease_s=3, queue_max=50)
    wait_until(lambda: ledger.counts()[0] >= 1 or None, 60, "the job in the worker's hands")

    # SIGINT is "stop now" (SIGTERM would let the job finish): the job goes back in line.
    workers.process.send_signal(signal.SIGINT)
    assert workers.process.wait(30) == 0
    assert "Handed file:" in workers.log()
    assert ledger.counts() == (0, 1)
    assert answers_by_thread(slack) == Counter()

    slack.delay("download", 0.0)
    again = BotProcess(slack, ["worker"], tmp_path / "workers-again.log", **env)
    processes.append(again)
    wait_until(lambda: answers_by_thread(slack) or None, 60, "the answer")
    wait_until(lambda: ledger.counts() == (0, 0) or None, 30, "an idle queue")
    assert answers_by_thread(slack) == Counter({share_ts(file): 1})


def _children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (from /proc; Linux only, like production)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def _worker_pids(bot: BotProcess) -> list[int]:
    """Huey's worker processes: forks of the supervisor (``python -m bot worker``) that run
    the same command line; the fork server beside them runs another."""
    supervisors = [p for p in _children(bot.process.pid) if _cmdline(p).endswith(b"worker\0")]
    return [
        child
        for supervisor in supervisors
        for child in _children(supervisor)
        if _cmdline(child) == _cmdline(supervisor)
    ]


def _settled_worker_pids(bot: BotProcess) -> list[int]:
    """The worker processes once the supervisor has forked all it forks at start: Huey's
    workers and, a moment later, its scheduler run the same command line, so one reading
    taken as soon as the first appears can miss the rest."""
    seen: list[list[int]] = []

    def settled() -> list[int] | None:
        seen.append(_worker_pids(bot))
        if len(seen) >= 3 and seen[-1] and seen[-1] == seen[-2] == seen[-3]:
            return seen[-1]
        time.sleep(0.5)
        return None

    return wait_until(settled, 60, "the worker processes")


def test_a_job_past_the_time_limit_is_stopped_and_the_same_worker_answers_the_next(
    slack: FakeSlack, tmp_path: Path, processes: list[BotProcess]
) -> None:
    # Two million rows take several seconds on any machine; the limit is two.
    block = generate_customers(100_000, seed=3).to_csv(index=False).encode()
    header, body = block.split(b"\n", 1)
    big = header + b"\n" + body * 20
    env = dict(
        SEGBOT_DATA_DIR=str(tmp_path / "data"),
        SEGBOT_WORKERS="1",
        SEGBOT_JOB_TIMEOUT_S="2",
        SEGBOT_MAX_FILE_MB="200",
        SEGBOT_MAX_ROWS="5000000",
    )
    bot = BotProcess(slack, [], tmp_path / "bot.log", **env)
    processes.append(bot)
    workers = _settled_worker_pids(bot)

    heavy = slack.add_file("all-customers.csv", big, channel="C0MKT")
    started = time.monotonic()
    drop(bot, slack, heavy)

    def told() -> str | None:
        for call in slack.calls("chat.postMessage"):
            if call.params.get("thread_ts") == share_ts(heavy) and not call.params.get("blocks"):
                text = str(call.params.get("text"))
                if "limit" in text:
                    return text
        return None

    sentence = wait_until(told, 60, "the time-limit sentence")
    assert "took longer than the limit of 2 seconds" in sentence
    assert "fewer rows or columns" in sentence and "columns=" in sentence
    assert time.monotonic() - started < 30  # stopped, not left to finish
    assert "Traceback" not in sentence

    small = slack.add_file("shop.csv", demo_csv(), channel="C0MKT")
    drop(bot, slack, small)
    wait_until(lambda: answers_by_thread(slack)[share_ts(small)] == 1 or None, 60, "an answer")
    assert answers_by_thread(slack)[share_ts(heavy)] == 0
    # The same workers, alive and free again (Huey may fork its scheduler beside them later).
    assert set(workers) <= set(_worker_pids(bot))

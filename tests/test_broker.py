"""The embedded broker (hub/broker.py): several processes write and read one SQLite queue at once.

kombu's filesystem transport, the former default, is not safe for this: a reader can open a message
file its writer has created but not yet filled, and the worker died on the empty JSON (kombu #1551).
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from multiprocessing.context import SpawnProcess
from pathlib import Path

import pytest
from kombu import Connection
from kombu.exceptions import OperationalError as BrokerUnavailable
from sqlalchemy.exc import OperationalError

from hub.broker import transport_register

PRODUCERS = 4
MESSAGES_EACH = 150


def _produce(url: str, producer: int) -> None:
    transport_register()
    with Connection(url) as conn:
        queue = conn.SimpleQueue("soak")
        for number in range(MESSAGES_EACH):
            queue.put({"producer": producer, "number": number, "pad": "x" * 2000})
        queue.close()


def _consume(url: str, expected: int, results: multiprocessing.Queue) -> None:
    transport_register()
    got: list[tuple[int, int]] = []  # (producer, number)
    with Connection(url, transport_options={"polling_interval": 0.01}) as conn:
        queue = conn.SimpleQueue("soak")
        idle = 0
        while idle < 50 and len(got) < expected:
            try:
                message = queue.get(timeout=0.1)
            except queue.Empty:
                idle += 1
                continue
            idle = 0
            got.append((message.payload["producer"], message.payload["number"]))
            message.ack()
        queue.close()
    results.put(got)


def _spawn(target, *args) -> SpawnProcess:  # noqa: ANN001
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    return process


def test_messages_from_many_writers_reach_two_readers_once_each(tmp_path: Path):
    # given: one queue file, four processes writing to it and two reading from it at the same time
    url = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    total = PRODUCERS * MESSAGES_EACH
    results = multiprocessing.get_context("spawn").Queue()
    consumers = [_spawn(_consume, url, total, results) for _ in range(2)]
    producers = [_spawn(_produce, url, n) for n in range(PRODUCERS)]

    # when: all have finished
    for process in producers:
        process.join(timeout=120)
    received = results.get(timeout=120) + results.get(timeout=120)
    for process in consumers:
        process.join(timeout=30)

    # then: no process failed, every message arrived exactly once, and nothing is left in the file
    assert [p.exitcode for p in producers + consumers] == [0] * (PRODUCERS + 2)
    assert sorted(received) == sorted((p, n) for p in range(PRODUCERS) for n in range(MESSAGES_EACH))
    with sqlite3.connect(tmp_path / "broker.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM kombu_message").fetchone() == (0,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_message_taken_but_not_acknowledged_comes_back_when_the_reader_closes(tmp_path: Path):
    # given: one message on the queue
    url = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    transport_register()
    with Connection(url) as conn:
        conn.SimpleQueue("q").put({"n": 1})

    # when: a reader takes it and closes without acknowledging it (a worker's warm shutdown)
    with Connection(url) as conn:
        queue = conn.SimpleQueue("q")
        assert queue.get(timeout=5).payload == {"n": 1}
        queue.close()

    # then: the next reader gets it again
    with Connection(url) as conn:
        queue = conn.SimpleQueue("q")
        message = queue.get(timeout=5)
        assert message.payload == {"n": 1}
        message.ack()
        assert queue.qsize() == 0


def test_a_broker_file_that_cannot_be_opened_is_a_connection_error(tmp_path: Path):
    # given: a broker file in a folder that does not exist
    transport_register()
    with Connection(f"sqlite:///{tmp_path / 'missing' / 'broker.sqlite3'}") as conn:
        # when / then: opening a channel fails as a broker that is down does (what /healthz checks)
        with pytest.raises(BrokerUnavailable, match="unable to open database file"):
            conn.default_channel  # noqa: B018
        assert OperationalError in conn.connection_errors

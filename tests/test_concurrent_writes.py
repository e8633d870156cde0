"""Several writers at once on SQLite, as gunicorn's workers are: no reading lost, no 'database is locked'."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.test import Client

from readings.models import Reading
from tests.conftest import station_url

THREADS = 8
PER_THREAD = 40


@pytest.mark.django_db(transaction=True)
def test_threads_posting_at_once_lose_nothing(outside, inside):
    def post_many(worker: int) -> list[tuple[int, str]]:
        client = Client()
        answers = []
        try:
            for i in range(PER_THREAD):
                if worker % 2:
                    response = client.get(station_url(outside, data=f"{worker}.{i:03d}"))
                else:
                    stamp = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=worker * 1000 + i)
                    body = {
                        "mac": inside.api_key.device.mac,
                        "readings": [{"field": 2, "data": 20, "recorded_at": stamp.isoformat()}],
                    }
                    response = client.post(
                        "/api/readings/",
                        json.dumps(body),
                        content_type="application/json",
                        HTTP_AUTHORIZATION=f"Api-Key {inside.key}",
                    )
                answers.append((response.status_code, response.content.decode()))
        finally:
            connections.close_all()  # this thread's connection
        return answers

    with ThreadPoolExecutor(THREADS) as pool:
        answers = [a for result in pool.map(post_many, range(THREADS)) for a in result]

    assert [status for status, _ in answers if status not in (200, 201)] == []
    assert Reading.objects.count() == THREADS * PER_THREAD
    assert len(set(Reading.objects.values_list("id", flat=True))) == THREADS * PER_THREAD


@pytest.mark.django_db
def test_an_acknowledged_reading_is_durable_on_either_engine():
    """WAL with synchronous=FULL on SQLite, synchronous_commit on PostgreSQL: 2xx means on disk."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
            assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        else:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"

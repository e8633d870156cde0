"""backup: a consistent copy of the SQLite database, made while the server keeps taking readings."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Copy the SQLite database to PATH with SQLite's online backup, safe while boards post."

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="where to write the copy (an existing file is replaced once it is done)"
        )

    def handle(self, *args, path: str, **options) -> str:
        database = connections["default"]
        if database.vendor != "sqlite":
            raise CommandError(
                f"backup copies SQLite databases; this server uses {database.display_name}. Back it up "
                "with pg_dump --format=custom (docs/deploy.md, Backups)."
            )
        source = Path(str(database.settings_dict["NAME"]))
        if not source.is_file():
            raise CommandError(f"no SQLite database at {source}")
        target = Path(path)
        if target.is_dir():
            raise CommandError(
                f"{target} is a folder; give the backup's file name, e.g. {target / 'db.sqlite3'}"
            )
        if target.exists() and target.samefile(source):
            raise CommandError("the backup must not be written over the database it copies")

        started = time.monotonic()
        partial = target.with_name(target.name + ".partial")
        try:
            pages = copy_sqlite(source, partial)
            os.replace(partial, target)  # the finished copy appears at once; a half one never does
        finally:
            partial.unlink(missing_ok=True)
        _sync_folder(target.parent)
        seconds = time.monotonic() - started
        size = target.stat().st_size
        logger.info("backup of %s: %d pages, %d bytes in %.2f s", source.name, pages, size, seconds)
        return f"Backed up {source.name} to {target}: {size / 1e6:.1f} MB in {seconds:.2f} s, quick_check ok."


def copy_sqlite(source: Path, target: Path) -> int:
    """Copy `source` to `target` as one snapshot; the number of pages copied."""
    # Its own connection, not Django's: it reads only what is committed, and holds no transaction
    # of the command's.
    reader = sqlite3.connect(source, timeout=20)
    copy = sqlite3.connect(target)
    try:
        # All pages in one step, which reads one snapshot. In WAL mode (the server's, see
        # settings.py) that blocks no writer: readings keep being committed to the WAL meanwhile.
        # Copying in steps of N pages instead releases the snapshot between steps, and SQLite
        # restarts the copy whenever another connection wrote in between; with a board posting
        # every few seconds it never finished in trials (85 restarts in 15 s on a 100 MB file).
        reader.backup(copy, pages=-1)
        # One self-contained file to move and keep: no -wal or -shm beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        (result,) = copy.execute("PRAGMA quick_check").fetchone()
        if result != "ok":
            raise CommandError(f"the copy failed SQLite's quick_check: {result}")
        (pages,) = copy.execute("PRAGMA page_count").fetchone()
    finally:
        copy.close()
        reader.close()
    with open(target, "rb+") as written:
        os.fsync(written.fileno())  # on disk before it takes the backup's name
    return pages


def _sync_folder(folder: Path) -> None:
    """Make the rename itself survive a power cut."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

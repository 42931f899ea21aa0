"""A real PostgreSQL on loopback, on a free port, in a temporary folder (started by tests).

``initdb`` + ``pg_ctl`` from the Debian ``postgresql`` package (``.ci/run`` installs it). The
server refuses to run as root, so as root it runs as the ``postgres`` user through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.bot.redis_server import free_port

__all__ = ["PostgresServer", "postgres_bin"]


def postgres_bin(name: str) -> str | None:
    """The path of a PostgreSQL program (PATH first, then /usr/lib/postgresql/*/bin)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class PostgresServer:
    """One throw-away cluster with a ``segbot`` database, trust auth on 127.0.0.1 only."""

    def __init__(self) -> None:
        self.initdb, self.pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
        self.pg_dump = postgres_bin("pg_dump")
        if not (self.initdb and self.pg_ctl and self.pg_dump):
            raise RuntimeError(
                "PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does)"
            )
        self.folder = Path(tempfile.mkdtemp(prefix="segbot-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")

    @property
    def url(self) -> str:
        """The address to give the bot as DATABASE_URL (Heroku's spelling, normalised)."""
        return f"postgres://postgres@127.0.0.1:{self.port}/segbot"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        command = ["runuser", "-u", "postgres", "--", *argv] if self._as_postgres else list(argv)
        return subprocess.run(command, capture_output=True, check=check, timeout=120)

    def start(self) -> None:
        """initdb (first time), start, and create the ``segbot`` database."""
        assert self.initdb and self.pg_ctl
        if not self.data.exists():
            self._run(
                self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
            )
        options = f"-p {self.port} -h 127.0.0.1 -k {self.folder} -c fsync=off"
        self._run(self.pg_ctl, "-D", str(self.data), "-o", options, "-w", "-t", "60",
                  "-l", str(self.folder / "log"), "start")  # fmt: skip
        import psycopg

        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as db:
            if not db.execute("select 1 from pg_database where datname='segbot'").fetchone():
                db.execute("create database segbot")

    def dump(self) -> bytes:
        """``pg_dump`` of the segbot database (schema and data, as text)."""
        assert self.pg_dump
        return self._run(
            self.pg_dump, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "segbot"
        ).stdout

    def stop(self) -> None:
        """Stop at once and delete the cluster."""
        assert self.pg_ctl
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

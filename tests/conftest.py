"""Shared fixtures: every test gets its own helpnext home; no test touches a real one."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


class NetworkUsed(AssertionError):
    pass


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """helpnext is private: any attempt to open a network connection fails the test."""

    def refuse(self, address, *args, **kwargs):
        if isinstance(address, str) or (
            isinstance(address, tuple) and address and address[0] in ("", None)
        ):
            return original_connect(self, address, *args, **kwargs)  # local (AF_UNIX) sockets
        raise NetworkUsed(f"a network connection was attempted to {address!r}")

    original_connect = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: refuse(None, address))


@pytest.fixture(autouse=True)
def helpnext_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("HELPNEXT_HOME", str(home))
    monkeypatch.setenv("HELPNEXT_LOCK_TIMEOUT", "1")
    monkeypatch.delenv("HELPNEXT_DEBUG", raising=False)
    return home


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli():
    """Run the helpnext CLI in-process: ``cli("stats", "--json")``."""
    from recommender.cli.app import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> CliResult:
        result = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


def shared(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path

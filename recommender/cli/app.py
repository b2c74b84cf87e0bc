"""The ``helpnext`` command line: parse, call the library, print. Nothing else lives here.

Each command module of ``recommender.cli`` holds the commands of one thing they act on
(contacts, imports, the plan, models, ...); none imports another. They are imported plainly
here (a module that fails to import fails the CLI, loudly) and registered from one table,
in the order ``helpnext --help`` lists them. Library errors (``HelpnextError``) become one
line on stderr and a non-zero exit.
"""

from __future__ import annotations

import os
import sys
import traceback

import typer
from typer.core import TyperGroup

try:  # typer >= 0.20 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer on real click
    from click import ClickException

from recommender import __version__
from recommender.cli import (
    contacts,
    demo,
    imports,
    model,
    plan,
    privacy,
    report,
    score,
    stats,
)
from recommender.cli.common import HomeOption, set_root_home
from recommender.errors import HelpnextError


class CliError(ClickException):
    """One line on stderr, a chosen exit code."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:  # noqa: ARG002 - click's signature
        sys.stderr.write(f"helpnext: error: {self.format_message()}\n")
        sys.stderr.flush()


class HelpnextGroup(TyperGroup):
    """Root group: turns library errors into :class:`CliError` so every path (the real
    console script and ``CliRunner`` in tests) prints one clear line."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except HelpnextError as err:
            raise CliError(str(err), err.exit_code) from None
        except KeyboardInterrupt:
            raise CliError("interrupted; the unfinished command changed nothing", 130) from None
        except (ClickException, typer.Exit, typer.Abort, SystemExit):
            raise
        except MemoryError:
            raise CliError("out of memory", 1) from None
        except Exception as err:  # a bug: say so in one line, traceback on request
            if os.environ.get("HELPNEXT_DEBUG"):
                traceback.print_exc()
            raise CliError(
                f"internal error ({type(err).__name__}: {err}); set HELPNEXT_DEBUG=1 for details",
                70,
            ) from None


app = typer.Typer(
    name="helpnext",
    cls=HelpnextGroup,
    help="Who in your professional network to help next, and how. Private: everything stays "
    "in one local file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"helpnext {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    home: HomeOption = None,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Who in your professional network to help next, and how."""
    set_root_home(home)


# every top-level command, in the order `helpnext --help` lists them (then the groups)
COMMANDS = (
    ("stats", stats.stats),
    ("demo", demo.demo),
    ("train", model.train),
    ("eval", model.evaluate),
    ("score", score.score),
    ("tag", contacts.tag_cmd),
    ("note", contacts.note_cmd),
    ("today", plan.today),
    ("show", contacts.show),
    ("log", contacts.log),
    ("done", plan.done),
    ("skip", plan.skip),
    ("snooze", plan.snooze),
    ("never", plan.never),
    ("unnever", contacts.unnever_cmd),
    ("models", model.models),
    ("forget", privacy.forget_cmd),
    ("unforget", privacy.unforget_cmd),
    ("export", privacy.export_cmd),
    ("report", report.report),
)
GROUPS = (("import", imports.import_app), ("contacts", contacts.contacts_app))

for _name, _command in COMMANDS:
    app.command(_name)(_command)
for _name, _group in GROUPS:
    app.add_typer(_group, name=_name)


def main(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, prog_name="helpnext", standalone_mode=True)
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else 1
    return 0

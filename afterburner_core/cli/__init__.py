"""The `afterburner` command line. Every verb that reports accepts --json.

Errors a user can cause (unknown language, missing file, bad limits) print one line and exit 2;
never a traceback. Ending the command (SIGTERM, SIGHUP, SIGINT) ends every job it runs, at once.
"""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from afterburner_core.cli import (
    dataset_cmd,
    evaluate_cmd,
    exec_cmd,
    grpo_data_cmd,
    images_cmd,
    optimize_cmd,
    plugins_cmd,
    run_cmd,
    serve_cmd,
    train_cmd,
)
from afterburner_core.errors import AfterburnerError
from afterburner_core.sandbox.supervision.signals import terminating_on_signals
from afterburner_core.validation import one_line

app = typer.Typer(
    name="afterburner",
    help="Measure and improve the efficiency of code: sandboxed runs with time, memory and integral.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("plugins")(plugins_cmd.plugins)
app.command("exec")(exec_cmd.exec_program)
app.command("run")(run_cmd.run_solution)
app.command("evaluate")(evaluate_cmd.evaluate)
app.command("demo")(evaluate_cmd.demo)
app.command("serve")(serve_cmd.serve)
app.command("optimize")(optimize_cmd.optimize)
train_cmd.data_app.command("grpo")(grpo_data_cmd.data_grpo)
app.add_typer(train_cmd.data_app, name="data")
app.add_typer(train_cmd.train_app, name="train")
app.add_typer(dataset_cmd.app, name="dataset")
app.add_typer(images_cmd.app, name="images")


def main() -> None:
    try:
        with terminating_on_signals():  # SIGTERM, SIGHUP, Ctrl-C: every running job ends with us
            app()
    except AfterburnerError as error:
        print(f"afterburner: {error}", file=sys.stderr)
        sys.exit(2)
    except ValidationError as error:
        print(f"afterburner: invalid input: {one_line(error)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("afterburner: interrupted", file=sys.stderr)
        sys.exit(130)

"""The `husky` entry point, with a fast path for `husky status`.

`husky status` is what people type most, and click plus its imports cost several
times Python's own start-up here. A command line that is exactly
`[-c/--config X] [-d/--data X] [--daemon-config X] status [--tag T]` is served
without importing click; anything else (including `-h`) goes to the full CLI.
"""

from __future__ import annotations

import sys

_GLOBALS = {
    "-c": "config",
    "--config": "config",
    "-d": "data",
    "--data": "data",
    "--daemon-config": "daemon_config",
}


def _parse_status(argv: list[str]) -> dict[str, str] | None:
    """The options of a plain `status` command line, or None for anything else."""
    options = {"config": "husky.yaml", "data": ".husky"}
    args = list(argv)
    command_seen = False
    while args:
        arg = args.pop(0)
        name, eq, value = arg.partition("=")
        key = (
            ("tag" if name == "--tag" and command_seen else _GLOBALS.get(name))
            if not command_seen or name == "--tag"
            else None
        )
        if arg == "status" and not command_seen:
            command_seen = True
        elif key is not None and (eq or args):
            options[key] = value if eq else args.pop(0)
        else:
            return None
    return options if command_seen else None


def main() -> None:
    options = _parse_status(sys.argv[1:])
    if options is None:
        from husky.cli.main import main as full_main

        full_main()
        return
    from husky.cli.client import DaemonClient
    from husky.cli.status_view import print_status

    client = DaemonClient(options["data"].rstrip("/") + "/husky.sock")
    try:
        print_status(client, options.get("tag"))
    except Exception as exc:
        from husky.errors import DaemonError, DaemonNotRunning  # only on the error path

        if isinstance(exc, DaemonNotRunning):
            sys.stderr.write(f"error: {exc}\n")
        elif isinstance(exc, DaemonError):
            sys.stderr.write(f"Error: daemon error: {exc}\n")
        else:
            raise
        sys.exit(1)

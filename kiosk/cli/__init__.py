"""The `kiosk` command (`kiosk.cli.main:main`): the app by default, and headless commands.

One module per command, each with `COMMAND`, `add_parser(commands)` and
`run(args) -> int`, listed in `kiosk.cli.main.COMMANDS`; what several share
(reporting a file's error, `--confirm`) is in `kiosk.cli.common`.
"""

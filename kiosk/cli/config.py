"""`kiosk config show | path`: the effective settings (secrets masked) and where they live."""

from __future__ import annotations

import argparse

import tomli_w

from kiosk.config import load_settings, settings_path
from kiosk.secrets import SECRETS, secret_source

COMMAND = "config"


def add_parser(commands: argparse._SubParsersAction) -> None:
    config = commands.add_parser(COMMAND, help="show the settings")
    actions = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    actions.add_parser("show", help="print the effective settings, secrets masked")
    actions.add_parser("path", help="print the settings file path")


def run(args: argparse.Namespace) -> int:
    path = settings_path(args.config)
    if args.config_command == "path":
        print(path)
        return 0
    settings = load_settings(args.config)
    print(f"# settings file: {path}{'' if path.exists() else ' (not created yet: defaults)'}")
    print(tomli_w.dumps(settings.to_dict()), end="")
    print("\n[secrets]  # values are never shown; where each one comes from")
    for name in SECRETS:
        source = secret_source(name)
        shown = "********" if source in ("environment", "keyring") else ""
        print(f'{name} = "{shown}"  # {source}')
    return 0

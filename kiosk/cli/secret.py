"""`kiosk secret set | delete NAME`: secrets go to the OS keyring, never to the settings file."""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk.secrets import SECRETS, delete_secret, set_secret

COMMAND = "secret"


def add_parser(commands: argparse._SubParsersAction) -> None:
    secret = commands.add_parser(COMMAND, help="store or remove a secret in the keyring")
    actions = secret.add_subparsers(dest="secret_command", metavar="ACTION", required=True)
    set_cmd = actions.add_parser("set", help="store a secret (read from the terminal, or stdin)")
    set_cmd.add_argument("name", choices=sorted(SECRETS))
    delete_cmd = actions.add_parser("delete", help="remove a secret")
    delete_cmd.add_argument("name", choices=sorted(SECRETS))


def run(args: argparse.Namespace) -> int:
    if args.secret_command == "delete":
        removed = delete_secret(args.name)
        print(f"{args.name}: {'removed' if removed else 'was not stored'}")
        return 0
    if sys.stdin.isatty():
        value = getpass.getpass(f"{args.name} ({SECRETS[args.name]}): ")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    set_secret(args.name, value)
    print(f"{args.name}: stored in the keyring")
    return 0

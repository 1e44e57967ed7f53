"""``culturamap users add NAME --role planner|admin``: accounts of the planner workspace.

The first admin is made here (there is no sign-up page). The password is asked twice at
the prompt, or read from standard input with ``--password-stdin`` (scripts); it never
appears in the command line, where other users of the machine could see it.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from geo.cli_options import add_setting_flags, settings_from_args
from geo.errors import CulturamapError
from webmap.workspace.models import ROLES


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Contraseña / Password: ")
    if first != getpass.getpass("Repítala / Repeat it: "):
        raise CulturamapError("las contraseñas no coinciden / the passwords differ")
    return first


def add(args: argparse.Namespace) -> int:
    from webmap.workspace.auth import add_user
    from webmap.workspace.db import database_url, open_database

    settings = settings_from_args(args)
    db = open_database(database_url(settings))
    try:
        with db.session() as session:
            user = add_user(session, args.name, _password(args), args.role)
            print(f"usuario/user {user.name} ({user.role}) creado/created")
    finally:
        db.dispose()
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "users", help="cuentas del espacio de planificación / planner workspace accounts")
    actions = parser.add_subparsers(dest="users_command", required=True)
    adding = actions.add_parser("add", help="crear una cuenta / create an account")
    adding.add_argument("name", help="nombre de usuario / user name")
    adding.add_argument("--role", choices=ROLES, default="planner",
                        help="planner (edita) o admin (edita, revierte, cuentas)")
    adding.add_argument("--password-stdin", action="store_true",
                        help="leer la contraseña de la entrada estándar / read it from stdin")
    add_setting_flags(adding, "data_dir")  # the SQLite file lives in the data folder
    adding.set_defaults(func=add)

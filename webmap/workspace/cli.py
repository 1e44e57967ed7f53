"""``culturamap users add|list|passwd|disable|enable``: accounts of the planner workspace;
``culturamap db backup FILE``: a consistent copy of the workspace database.

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


def _with_session(args: argparse.Namespace, work) -> int:  # noqa: ANN001 - a callable
    from webmap.workspace.db import database_url, open_database

    db = open_database(database_url(settings_from_args(args)))
    try:
        with db.session() as session:
            work(session)
    finally:
        db.dispose()
    return 0


def add(args: argparse.Namespace) -> int:
    from webmap.workspace.auth import add_user

    password = _password(args)

    def work(session) -> None:  # noqa: ANN001
        user = add_user(session, args.name, password, args.role)
        print(f"usuario/user {user.name} ({user.role}) creado/created")

    return _with_session(args, work)


def db_backup(args: argparse.Namespace) -> int:
    """Without opening the app: the database is copied as it is (no migration, no seed)."""
    from webmap.workspace.backup import backup
    from webmap.workspace.db import database_url

    out = backup(database_url(settings_from_args(args)), args.out)
    print(f"copia / backup: {out}")
    return 0


def list_users(args: argparse.Namespace) -> int:
    from webmap.workspace.auth import users

    def work(session) -> None:  # noqa: ANN001
        for user in users(session):
            state = "activa/active" if user.active else "desactivada/disabled"
            print(f"{user.name}\t{user.role}\t{state}\t{user.created_at:%Y-%m-%d}")

    return _with_session(args, work)


def passwd(args: argparse.Namespace) -> int:
    """A new password for an account (e.g. an admin who forgot theirs); its sessions end."""
    from webmap.workspace.auth import by_name, set_password

    password = _password(args)

    def work(session) -> None:  # noqa: ANN001
        user = set_password(session, by_name(session, args.name).id, password)
        print(f"contraseña cambiada / password changed: {user.name}")

    return _with_session(args, work)


def set_state(args: argparse.Namespace) -> int:
    from webmap.workspace.auth import by_name, set_active

    def work(session) -> None:  # noqa: ANN001
        user = set_active(session, None, by_name(session, args.name).id,
                          args.users_command == "enable")
        print(f"{user.name}: {'activa/enabled' if user.active else 'desactivada/disabled'}")

    return _with_session(args, work)


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
    listing = actions.add_parser("list", help="listar las cuentas / list the accounts")
    add_setting_flags(listing, "data_dir")
    listing.set_defaults(func=list_users)
    changing = actions.add_parser("passwd", help="poner una contraseña nueva (cierra sus "
                                  "sesiones) / set a new password (ends its sessions)")
    changing.add_argument("name", help="nombre de usuario / user name")
    changing.add_argument("--password-stdin", action="store_true",
                          help="leer la contraseña de la entrada estándar / read it from stdin")
    add_setting_flags(changing, "data_dir")
    changing.set_defaults(func=passwd)
    for action, text in (("disable", "desactivar una cuenta (cierra sus sesiones) / disable "
                          "an account (ends its sessions)"),
                         ("enable", "reactivar una cuenta / enable an account again")):
        state = actions.add_parser(action, help=text)
        state.add_argument("name", help="nombre de usuario / user name")
        add_setting_flags(state, "data_dir")
        state.set_defaults(func=set_state)
    database = subparsers.add_parser(
        "db", help="base de datos del espacio de planificación / workspace database")
    db_actions = database.add_subparsers(dest="db_command", required=True)
    copying = db_actions.add_parser(
        "backup", help="copia consistente, con el servidor andando (SQLite: API de respaldo "
        "en línea; PostgreSQL: pg_dump -Fc) / consistent copy while the server runs")
    copying.add_argument("out", help="archivo de la copia / backup file")
    add_setting_flags(copying, "data_dir")
    copying.set_defaults(func=db_backup)

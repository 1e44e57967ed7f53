"""Accounts: argon2 password hashes, sign-in checks, roles.

Why argon2 (argon2-cffi): a memory-hard hash, so a stolen database does not give the
passwords away cheaply. An unknown name costs the same time as a wrong password, so the
sign-in page does not reveal which accounts exist.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.errors import CulturamapError
from webmap.workspace.models import ROLES, User

MIN_PASSWORD = 10
MAX_NAME = 80

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountError(CulturamapError, ValueError):
    """An account cannot be made as asked (name taken, short password, unknown role)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"la contraseña debe tener al menos {MIN_PASSWORD} caracteres / "
                           f"the password needs at least {MIN_PASSWORD} characters")


def add_user(session: Session, name: str, password: str, role: str) -> User:
    name = name.strip()
    if not name or len(name) > MAX_NAME or any(c.isspace() for c in name):
        raise AccountError(f"el nombre de usuario debe tener 1 a {MAX_NAME} caracteres, sin "
                           f"espacios / the user name needs 1 to {MAX_NAME} characters, no "
                           "spaces")
    if role not in ROLES:
        raise AccountError(f"rol desconocido {role!r}; use {' o '.join(ROLES)} / unknown role "
                           f"{role!r}; use {' or '.join(ROLES)}")
    _check_password(password)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise AccountError(f"ya existe el usuario {name!r} / user {name!r} already exists")
    user = User(name=name, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active user with this name and password, else None."""
    user = session.scalar(select(User).where(User.name == name.strip()))
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    return user


def set_active(session: Session, acting: User | None, user_id: int, active: bool) -> User:
    """Disable or enable an account (an admin cannot disable their own; ``acting`` None:
    the command line)."""
    user = _user(session, user_id)
    if acting is not None and user.id == acting.id and not active:
        raise AccountError("no puede desactivar su propia cuenta / you cannot disable your "
                           "own account")
    user.active = active
    return user


def users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise AccountError(f"no existe la cuenta n.º {user_id} / no account #{user_id}")
    return user


def set_password(session: Session, user_id: int, password: str) -> User:
    """A new password (an admin's reset, or the CLI). The account's open sessions end: they
    carry the old hash's stamp (``User.get_id``)."""
    _check_password(password)
    user = _user(session, user_id)
    user.password_hash = hash_password(password)
    return user


def change_own_password(session: Session, user_id: int, current: str, new: str) -> User:
    """The signed-in user's own change: the current password first, then the new one."""
    user = _user(session, user_id)
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise AccountError("la contraseña actual no es correcta / the current password is "
                           "wrong") from None
    if new == current:
        raise AccountError("la contraseña nueva es igual a la actual / the new password is "
                           "the current one")
    return set_password(session, user_id, new)


def by_name(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name.strip()))
    if user is None:
        raise AccountError(f"no existe el usuario {name!r} / no user {name!r}")
    return user

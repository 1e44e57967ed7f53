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


def add_user(session: Session, name: str, password: str, role: str) -> User:
    name = name.strip()
    if not name or len(name) > MAX_NAME or any(c.isspace() for c in name):
        raise AccountError(f"el nombre de usuario debe tener 1 a {MAX_NAME} caracteres, sin "
                           f"espacios / the user name needs 1 to {MAX_NAME} characters, no "
                           "spaces")
    if role not in ROLES:
        raise AccountError(f"rol desconocido {role!r}; use {' o '.join(ROLES)} / unknown role "
                           f"{role!r}; use {' or '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"la contraseña debe tener al menos {MIN_PASSWORD} caracteres / "
                           f"the password needs at least {MIN_PASSWORD} characters")
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


def set_active(session: Session, acting: User, user_id: int, active: bool) -> User:
    """Disable or enable an account (an admin cannot disable their own)."""
    user = session.get(User, user_id)
    if user is None:
        raise AccountError(f"no existe la cuenta n.º {user_id} / no account #{user_id}")
    if user.id == acting.id and not active:
        raise AccountError("no puede desactivar su propia cuenta / you cannot disable your "
                           "own account")
    user.active = active
    return user


def users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))

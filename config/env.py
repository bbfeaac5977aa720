"""Small helpers that read settings from the environment.

Kept apart from settings.py so that the rules for the embedded default (a key generated once
into ``var/``) are written once and can be tested.
"""

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_roles(name: str, default: list[str]) -> list[str]:
    """A comma-separated list where an empty value means "none" (not "the default")."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def generated_secret(path: Path, make) -> str:
    """Return the secret stored in ``path``, creating it once with ``make()``.

    Several processes (web, worker, beat) start at the same moment under ``make run``;
    O_EXCL makes exactly one of them write the file and the others read what it wrote.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            value = path.read_text().strip()
            if value:
                return value
            import time

            time.sleep(0.02)
        raise RuntimeError(f"{path} exists but is empty") from None
    value = make()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def new_fernet_key() -> str:
    return Fernet.generate_key().decode()


def new_hash_key() -> str:
    return secrets.token_urlsafe(32)

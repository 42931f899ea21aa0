"""The pseudonym key of the front ends (the CLI and the bot); the core only takes it as a value.

``SEGBOT_SECRET`` wins when set (the same secret on every machine gives the same pseudonyms);
otherwise a random key is generated once and kept in ``pseudonym.key`` in the data folder
(``SEGBOT_DATA_DIR``, else the user data folder for "segbot"), so later runs agree.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from segmentation.errors import SegmentationError

__all__ = ["KEY_FILE", "KeyUnavailable", "default_data_dir", "pseudonym_key"]

KEY_FILE = "pseudonym.key"
_KEY_BYTES = 32


class KeyUnavailable(SegmentationError):
    """The pseudonym key could neither be read nor created."""

    kind = "key_unavailable"


def default_data_dir() -> Path:
    """The per-user data folder for segbot (``~/.local/share/segbot`` on Linux)."""
    import platformdirs  # only the front ends that redact need it

    return Path(platformdirs.user_data_dir("segbot", appauthor=False))


def pseudonym_key(secret: str | None, data_dir: str | os.PathLike[str] | None) -> bytes:
    """The key for :func:`segmentation.output.export.pseudonymise`.

    ``secret`` (from ``SEGBOT_SECRET``) when given; otherwise the key kept in ``data_dir``
    (default :func:`default_data_dir`), created there with 32 random bytes the first time.
    Two processes creating it at once end up with the same key.

    Raises
    ------
    KeyUnavailable
        The folder can't be written or the key file is damaged; the sentence says what to do.
    """
    if secret:
        return secret.encode("utf-8")
    folder = Path(data_dir) if data_dir else default_data_dir()
    path = folder / KEY_FILE
    try:
        if not path.exists():
            _create(folder, path)
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise KeyUnavailable(
            f"I couldn't keep the pseudonym key in {folder} ({reason}). Set SEGBOT_DATA_DIR "
            "to a folder I can write, or set SEGBOT_SECRET."
        ) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise KeyUnavailable(
            f"The pseudonym key file {path} is damaged. Restore it from a backup to keep the "
            "same pseudonyms (or delete it to start new ones), or set SEGBOT_SECRET."
        )
    return key


def _create(folder: Path, path: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(_KEY_BYTES) + "\n")
            out.flush()
            os.fsync(out.fileno())
        # A hard link never replaces an existing file: whoever links first made the key.
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)

"""Reading the user's files and writing reports, safely: bounded, decoded, never destructive.

`read_user_text` is the one reader of a file a person names (a design to grade, a script of
messages, an upload): it refuses what is not a regular file before reading it (a FIFO would hang,
a device such as /dev/zero never ends), reads at most one byte past the limit, and decodes UTF-8
(with or without a BOM) and UTF-16 with a BOM (what Windows Notepad saves as "Unicode").
`write_output` writes a report atomically and refuses to overwrite the file it was made from.
Every refusal is an InputError of one line that names the file and says what to do.
"""

import contextlib
import os
import secrets
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from simulator.base.errors import InputError

MAX_DESIGN_BYTES = 5 * 1024 * 1024
"""Largest design accepted (file or upload). A written design is a few pages, tens of KB; 5 MB is
a hundred times that and still cheap to hold in memory. The grader reads the first
MAX_ANSWER_CHARS (200,000) characters of what is accepted and says so in the report."""

MAX_SCRIPT_BYTES = 1024 * 1024
"""Largest `interview --script` file. A message is cut at MESSAGE_LIMIT (4,000) characters, so
1 MB holds more than 250 full-length messages: far more than any interview, and a bound on how
long a scripted run can take."""

STDOUT = "-"
"""The output path that means standard output."""

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_READ_CHUNK = 64 * 1024


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"


def _not_regular(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_user_text(path: Path, limit_bytes: int, what: str) -> str:
    """The text of the user's file `path` (a `what`: "design", "script"), or an InputError saying
    in one line why it cannot be used. Never blocks on a FIFO, never reads more than
    `limit_bytes + 1` bytes, whatever the file claims its size is."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path of the {what}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror}); check the path") from None
    _refuse_special(path, info.st_mode, what)
    if info.st_size > limit_bytes:
        raise _too_big(path, limit_bytes, what, info.st_size)
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO since the stat, opening it cannot hang.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror}); check its permissions") from None
    try:
        _refuse_special(path, os.fstat(fd).st_mode, what)  # what was opened, not what was named
        data = _read_at_most(fd, limit_bytes + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > limit_bytes:  # a file that grew, or one whose size the system does not know
        raise _too_big(path, limit_bytes, what)
    return decode_user_bytes(data, str(path), what)


def _refuse_special(path: Path, mode: int, what: str) -> None:
    kind = _not_regular(mode)
    if kind == "a folder":
        raise InputError(f"{path}: is a folder, not a file; give the path of the {what} file")
    if kind is not None:
        raise InputError(
            f"{path}: is {kind}, not a regular file; save the {what} to a file and give its path"
        )


def _too_big(source: Path | str, limit: int, what: str, size: int | None = None) -> InputError:
    """`size`: the exact size when known (None: more than `limit` was read before stopping)."""
    shown = f" ({size} bytes)" if size is not None else ""
    return InputError(
        f"{source}: is over the {_megabytes(limit)} limit for a {what}{shown}; shorten it"
    )


def _read_at_most(fd: int, count: int) -> bytes:
    chunks: list[bytes] = []
    left = count
    while left > 0:
        chunk = os.read(fd, min(left, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def decode_user_bytes(data: bytes, source: str, what: str, limit_bytes: int | None = None) -> str:
    """Text from the bytes of a user's file or upload named `source`: UTF-8 (BOM or not) or
    UTF-16 with a BOM; binary, other encodings, blank text and (with `limit_bytes`) too much
    data are refused with a one-line InputError."""
    if limit_bytes is not None and len(data) > limit_bytes:
        raise _too_big(source, limit_bytes, what, len(data))
    encoding, body = "utf-8", data
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, body = name, data[len(bom) :]
            break
    binary = InputError(
        f"{source}: looks like binary data, not text; give a Markdown or plain-text {what}"
    )
    if encoding == "utf-8" and b"\x00" in body:
        raise binary
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        raise InputError(
            f"{source}: is not UTF-8 or UTF-16 text; save the {what} as UTF-8 and try again"
        ) from None
    if "\x00" in text:
        raise binary
    if not text.strip():
        raise InputError(f"{source}: is empty; write the {what} in it first")
    return text


def check_output(path: Path, refuse: Iterable[Path] = ()) -> None:
    """Raise the InputError `write_output` would for this target, before any work is done: it is
    one of the `refuse` files (also through a symlink or a hard link), a folder, or in a folder
    that does not exist."""
    if str(path) == STDOUT:
        return
    try:
        out: os.stat_result | None = os.stat(path)
    except OSError:
        out = None  # no such file yet (or a dangling link): it cannot be an existing input
    resolved = Path(os.path.realpath(path))
    for source in refuse:
        try:
            same = out is not None and os.path.samestat(out, os.stat(source))
        except OSError:
            same = resolved == Path(os.path.realpath(source))
        if same:
            raise InputError(
                f"{path}: is the input file {source}; choose another output path, "
                "or the input would be overwritten"
            )
    if out is not None and stat.S_ISDIR(out.st_mode):
        raise InputError(f"{path}: is a folder; give a file name for the report")
    if out is None and not resolved.parent.is_dir():
        raise InputError(
            f"{path}: cannot write (folder {resolved.parent} does not exist); create it first"
        )


def write_output(path: Path, text: str, refuse: Iterable[Path] = ()) -> Path | None:
    """Write `text` to `path` (`-`: standard output) and return where it went (None: stdout).

    Refuses what `check_output` refuses. A regular file is replaced atomically (a temporary file
    in the same folder, synced, then renamed over it), so a failed write leaves the old file as
    it was; a symlink is written through and kept; a device or a pipe is written into."""
    if str(path) == STDOUT:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return None
    check_output(path, refuse)
    target = Path(os.path.realpath(path))
    try:
        mode: int | None = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        if mode is not None and not stat.S_ISREG(mode):
            # A device or a pipe (/dev/null, /dev/stdout): write into it, never replace it.
            with open(target, "w", encoding="utf-8") as stream:
                stream.write(text)
        else:
            _replace_atomically(target, text.encode("utf-8"), mode)
    except FileNotFoundError:
        raise InputError(
            f"{path}: cannot write (folder {target.parent} does not exist); create it first"
        ) from None
    except OSError as exc:
        kept = "; the old file is unchanged" if mode is not None else ""
        raise InputError(f"{path}: cannot write ({exc.strerror}){kept}") from None
    return target


def _replace_atomically(target: Path, data: bytes, old_mode: int | None) -> None:
    temp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    # Created like any new file (0o666 less the umask); an existing file's mode is kept.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if old_mode is not None:
            os.chmod(temp, stat.S_IMODE(old_mode))
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; best effort (some systems cannot open a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

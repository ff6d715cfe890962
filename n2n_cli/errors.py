"""The one-line error types: the CLI prints their message on one line and exits with code 1. Each message names
the file or the option that is wrong and says what is wrong with it."""


class UserError(Exception):
    """Bad input from the user (a file, a folder, an option): the message names it and says what is wrong."""


class DataError(UserError):
    """A data file or folder that cannot be used."""


class ImageError(UserError):
    """A file that cannot be read or written as an image."""


class CheckpointError(UserError):
    """A model file that cannot be used."""


SHORT = 200  # characters of a library's message kept in a one-line error


def shorten(text: str, limit: int = SHORT) -> str:
    """A library's message on one line: whitespace runs (newlines too) made single spaces, and, when longer than
    `limit`, cut at the last word boundary before it with " ..." (never mid-word; a first word longer than the limit
    is kept whole)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 3)
    return text if cut <= 0 else text[:cut].rstrip(" ,;:(") + " ..."


def printable(text: str) -> str:
    """`text` with control characters, line and paragraph separators and bidirectional overrides escaped (a file
    name holding a newline reads as `a\\nb.png`), so a message stays one line and shows what the name holds."""
    return "".join(_escape(c) if _hidden(c) else c for c in text)


def _hidden(c: str) -> bool:
    o = ord(c)
    return (
        o < 32
        or 127 <= o < 160
        or o in (0x2028, 0x2029)
        or 0x202A <= o <= 0x202E
        or 0x2066 <= o <= 0x2069
        or 0xD800 <= o <= 0xDFFF  # a byte of a name that is not UTF-8 (surrogateescape), or a lone surrogate
    )


def _escape(c: str) -> str:
    o = ord(c)
    if 0xDC80 <= o <= 0xDCFF:
        return f"\\x{o - 0xDC00:02x}"  # the byte the file name holds
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c)
    return named or (f"\\x{o:02x}" if o < 256 else f"\\u{o:04x}")

"""Text out of bytes: the encoding of a text file, and file names that are not valid UTF-8."""

from __future__ import annotations

import codecs
import os


class UndecodableText(ValueError):
    """The bytes are not text in any encoding that can be recognised."""


# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_BOMS = [(codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
LEGACY_PREFERENCE = "cp1252"  # among equally clean readings, the commonest legacy encoding of Western text


def decode_text(data: bytes) -> str:
    """Decode text by its byte-order mark, as UTF-8, or else in the encoding charset-normalizer finds."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise UndecodableText(f"the file starts with a {encoding.upper()} byte-order mark but is not "
                                      f"{encoding.upper()} text") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise UndecodableText("its text encoding could not be recognised (is it text?); save it as UTF-8")
    # Short Western texts read equally cleanly in several code pages (cp1250, cp857, ...): prefer cp1252.
    chosen = next((m for m in matches if m.encoding == LEGACY_PREFERENCE and m.chaos <= best.chaos), best)
    return str(chosen)


def readable_name(name: str) -> str:
    """Return a file name as text that can be shown and stored: bytes that are not UTF-8 become \\xNN."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")

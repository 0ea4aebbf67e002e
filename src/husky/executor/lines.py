"""Bytes from a child's pipe in, decoded lines out (execution.md §5).

A line ends at `\\n`; one trailing `\\r` is dropped; invalid UTF-8 is replaced. A line longer
than MAX_LINE bytes arrives as pieces of at most MAX_LINE bytes, cut where no UTF-8
sequence is split, so memory stays bounded however long a line is.
"""

from __future__ import annotations

MAX_LINE = 65_536
"""Longest line delivered whole; longer lines arrive as pieces of at most this many bytes."""


class LineSplitter:
    """The partial line of one pipe between reads. `feed` each chunk, `end` at EOF."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, chunk: bytes) -> list[str]:
        """The complete lines (and pieces of over-long ones) that `chunk` finishes."""
        data = self._buf + chunk if self._buf else chunk
        lines: list[str] = []
        end = data.rfind(b"\n")
        if end >= 0:
            _split_lines(data[:end], lines)
            data = data[end + 1 :]
        # Never hold more than one piece (+1 byte for a possible "\r") of a partial line.
        while len(data) > MAX_LINE + 1:
            cut = _utf8_cut(data, MAX_LINE)
            lines.append(data[:cut].decode("utf-8", "replace"))
            data = data[cut:]
        self._buf = data
        return lines

    def end(self) -> list[str]:
        """The final fragment (a last line without a newline), if any."""
        lines: list[str] = []
        if self._buf:
            _add_line(self._buf, lines)
            self._buf = b""
        return lines


def _split_lines(block: bytes, out: list[str]) -> None:
    """Split newline-separated bytes (no trailing newline) into decoded lines."""
    raws = block.split(b"\n")
    if max(map(len, raws)) <= MAX_LINE:  # fast path: decode once (b"\n" never sits inside UTF-8)
        text = block.decode("utf-8", "replace").split("\n")
        if b"\r" in block:
            text = [line[:-1] if line.endswith("\r") else line for line in text]
        out.extend(text)
        return
    for raw in raws:
        _add_line(raw, out)


def _add_line(raw: bytes, out: list[str]) -> None:
    """Append one line, minus one trailing "\\r", split into pieces of at most MAX_LINE bytes."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    while len(raw) > MAX_LINE:
        cut = _utf8_cut(raw, MAX_LINE)
        out.append(raw[:cut].decode("utf-8", "replace"))
        raw = raw[cut:]
    out.append(raw.decode("utf-8", "replace"))


def _utf8_cut(data: bytes, limit: int) -> int:
    """Cut position <= limit that does not split a UTF-8 sequence (limit if data is not UTF-8)."""
    for back in range(4):
        if data[limit - back] & 0xC0 != 0x80:
            return limit - back
    return limit

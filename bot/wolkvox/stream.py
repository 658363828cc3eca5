"""find_record's answer decoded as it arrives, so a 36 MB body never holds the event loop.

`FindRecordStream` is fed the body chunk by chunk. Once the envelope's `"data": [` has gone by,
the complete records at the front of the buffer (at most BATCH_BYTES, up to the last `},`) are
read as one small JSON list and summarised at once (`records.Summary.add_batch`); the rest
waits for the next chunk. A cut inside a string or a nested object makes that little list
invalid JSON (a JSON parser is deterministic: a prefix that parses ends where the whole would),
so a wrong cut is never taken: the bytes wait.

The answer is the one `decode_find_record` gives for the whole body, errors included. A body
that does not start in the common shape (no `"data": [` near the top, an error code, a BOM) is
collected whole and decoded in one piece; records that never split are decoded in one piece
with the end of the body.
"""

from __future__ import annotations

import re

import msgspec

from bot.wolkvox.records import (
    FindAnswer,
    Summary,
    as_broken_answer,
    as_text,
    check_status,
    decode_find_record,
)

HEAD_LIMIT = 64 * 1024  # the envelope's fields before `data` are short
# Bytes of records that would not split before giving up on splitting: a record is ~600 bytes,
# so this much without a clean cut means the answer is not shaped as expected.
CARRY_LIMIT = 1024 * 1024
CUT_TRIES = 3  # candidate cuts tried per batch, from its end
# Records summarised at a time, at most: a batch with a record still kept is held whole for a
# while (records.HELD_BYTES), so smaller batches hold less that is not needed.
BATCH_BYTES = 64 * 1024

_DATA_RE = re.compile(rb'"data"[ \t\n\r]*:[ \t\n\r]*\[')  # JSON's whitespace only


class _Fields(msgspec.Struct):
    code: object = ""
    error: object = None
    msg: object = ""


class _Tail(msgspec.Struct):
    """What follows the last split: the last records, then any envelope field after `data`."""

    code: object = ""
    error: object = None
    msg: object = ""
    data: list[msgspec.Raw] = []


_FIELDS = msgspec.json.Decoder(_Fields)
_TAIL = msgspec.json.Decoder(_Tail)
_OPEN, _CLOSE, _COMMA = b"[],"


class FindRecordStream:
    """Feed a 200 answer's body with `feed`; `finish` gives its `FindAnswer` or raises the same
    `LookupFailure` as `decode_find_record` would for the whole body."""

    __slots__ = ("_buf", "_fields", "_mode", "_splitting", "_summary")

    def __init__(self) -> None:
        self._mode = "head"  # "head" → "data" (streaming) or "whole" (fallback)
        self._buf = bytearray()  # head/whole: the body so far; data: records not yet split
        self._fields = _Fields()
        self._summary = Summary()
        self._splitting = True

    @property
    def streaming(self) -> bool:
        """True once records are being decoded as they come (False: the whole-body fallback)."""
        return self._mode == "data"

    @property
    def held(self) -> int:
        """Bytes of the body held right now (for tests and benchmarks)."""
        return len(self._buf)

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        self._buf += chunk
        if self._mode == "head":
            self._find_data()
        if self._mode == "data" and self._splitting:
            self._split()

    def finish(self) -> FindAnswer:
        if self._mode != "data":
            return decode_find_record(self._buf)
        with as_broken_answer(self._buf):  # cut short, or malformed after the last split
            tail = _TAIL.decode(b'{"data":' + self._buf)
        self._buf = bytearray()
        head = self._fields
        code = tail.code if as_text(tail.code) else head.code
        error = tail.error if tail.error is not None else head.error
        msg = tail.msg if as_text(tail.msg) else head.msg
        code_text, msg_text = check_status(code, error, msg)
        self._summary.add(tail.data)
        return self._summary.answer(code_text, msg_text)

    # --- internals ---------------------------------------------------------------------------

    def _find_data(self) -> None:
        """Wait for `"data": [`; stream only when what precedes it is a sound envelope start
        that reports success. Anything else is for the whole-body decoder to judge."""
        buf = self._buf
        found = _DATA_RE.search(buf)
        if found is None:
            if len(buf) > HEAD_LIMIT:
                self._mode = "whole"
            return
        try:
            fields = _FIELDS.decode(bytes(buf[: found.start()]) + b'"data":null}')
            check_status(fields.code, fields.error, fields.msg)
        except Exception:  # not JSON there, or an error code: for the whole-body decoder
            self._mode = "whole"
            return
        self._fields = fields
        del buf[: found.end() - 1]  # from the list's own `[`
        self._mode = "data"

    def _split(self) -> None:
        """Summarise the complete records at the front of the buffer, at most BATCH_BYTES of
        them at a time, as long as they split cleanly."""
        while self._cut(min(len(self._buf), BATCH_BYTES)):
            pass
        if len(self._buf) > BATCH_BYTES:  # a record longer than a batch: cut after it
            self._cut(len(self._buf))
        if len(self._buf) > CARRY_LIMIT:
            # Not shaped as expected: stop trying (each try reads it all again); the rest is
            # decoded in one piece at the end, as the tail.
            self._splitting = False

    def _cut(self, end: int) -> bool:
        """Summarise the records before the last clean cut within `end` bytes; False when
        there was none.

        The buffer always starts with the `[` of a list: a cut turns its `,` into `]` for as
        long as the batch is read, then into the `[` of what is left. No batch is copied."""
        buf = self._buf
        for _ in range(CUT_TRIES):
            cut = buf.rfind(b"},", 0, end)
            if cut < 0:
                return False
            buf[cut + 1] = _CLOSE
            batch = memoryview(buf)[: cut + 2]
            try:
                self._summary.add_batch(batch)
            except msgspec.DecodeError:  # no record of the batch is held: the view can go
                batch.release()
                buf[cut + 1] = _COMMA
                end = cut  # inside a string or a nested object: try an earlier cut
                continue
            except (RecursionError, UnicodeDecodeError):
                batch.release()
                buf[cut + 1] = _COMMA
                return False
            # A BrokenAnswer went up as it is: the view stays with its traceback, and the
            # stream, whose answer is broken, is not fed again.
            batch.release()  # what is kept of it is a copy
            del buf[: cut + 1]
            buf[0] = _OPEN
            return True
        return False


__all__ = ["FindRecordStream"]

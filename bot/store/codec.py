"""How a store turns the values it is given into bytes and back, for backends that need bytes.

The store knows nothing of what it keeps: whoever builds it passes a `Codec` for its values and
a table of the failures it may have to carry to another process (a producer's error reaches
every sharer as the same class). `MemoryStore` keeps objects as they are and needs none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Generic, Protocol, TypeVar

import msgspec

from bot.errors import LookupFailure

V = TypeVar("V")

_RESULT = b"R"  # payload tag: an encoded value follows
_ERROR = b"E"  # payload tag: an encoded failure follows


class Undecodable(ValueError):
    """Bytes this version cannot read (an older deploy's entry, a damaged value)."""


class Codec(Protocol[V]):
    def encode(self, value: V) -> bytes: ...

    def decode(self, data: bytes) -> V:
        """Raises `Undecodable` for bytes that are not an encoded value."""

    def encode_failure(self, error: BaseException) -> bytes: ...

    def decode_failure(self, data: bytes) -> LookupFailure:
        """Raises `Undecodable` for bytes that are not an encoded failure."""


class _SharedError(msgspec.Struct):
    """A producer's failure as sharers in other processes rebuild it."""

    kind: str
    detail: str
    retry_after: float | None = None
    extra: dict[str, str] = {}  # other text attributes, e.g. UpstreamError.code


_encode = msgspec.msgpack.Encoder().encode
_decode_error = msgspec.msgpack.Decoder(_SharedError).decode


class MsgpackCodec(Generic[V]):
    """msgpack for values of one msgspec-encodable type; failures rebuilt by `kind`.

    `failures` maps each kind to the class to rebuild; an unknown kind becomes a plain
    `LookupFailure` with the same detail."""

    def __init__(self, value_type: type[V], failures: Mapping[str, type[LookupFailure]]) -> None:
        self._decode = msgspec.msgpack.Decoder(value_type).decode
        self._failures = dict(failures)

    def encode(self, value: V) -> bytes:
        return _encode(value)

    def decode(self, data: bytes) -> V:
        try:
            return self._decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            raise Undecodable(str(error)) from None

    def encode_failure(self, error: BaseException) -> bytes:
        """A failure as the bytes sharers receive; a non-lookup error becomes kind `internal`."""
        if isinstance(error, LookupFailure):
            extra = {
                k: v
                for k, v in vars(error).items()
                if k not in ("detail", "retry_after") and isinstance(v, str)
            }
            shared = _SharedError(error.kind, error.detail, error.retry_after, extra)
        else:
            shared = _SharedError(LookupFailure.kind, f"shared work failed: {type(error).__name__}")
        return _encode(shared)

    def decode_failure(self, data: bytes) -> LookupFailure:
        """Rebuild the producer's failure as the class its kind names."""
        try:
            shared = _decode_error(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            raise Undecodable(str(error)) from None
        cls = self._failures.get(shared.kind, LookupFailure)
        try:
            failure = cls(shared.detail)
        except TypeError:  # a subclass whose constructor wants more than the detail
            failure = LookupFailure(shared.detail)
        failure.retry_after = shared.retry_after
        for name, value in shared.extra.items():
            with contextlib.suppress(AttributeError):
                setattr(failure, name, value)
        return failure


def pack_outcome(codec: Codec[V], value: V | None, error: BaseException | None) -> bytes:
    """One payload for a produced value or a failure: what a sharer reads back."""
    if error is not None:
        return _ERROR + codec.encode_failure(error)
    assert value is not None
    return _RESULT + codec.encode(value)


def unpack_outcome(codec: Codec[V], payload: bytes) -> V:
    """The value a payload holds, or its failure raised here."""
    if payload.startswith(_RESULT):
        return codec.decode(payload[len(_RESULT) :])
    if payload.startswith(_ERROR):
        raise codec.decode_failure(payload[len(_ERROR) :])
    raise Undecodable("unknown payload tag")

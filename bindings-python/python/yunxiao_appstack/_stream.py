"""``async for event in client.watch_run(...)``: a lifecycle helper's events as an async
iterator, with the helper's result at the end."""

from __future__ import annotations

from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Generic,
    Optional,
    Protocol,
    Tuple,
    Type,
    TypeVar,
)

from . import _models

if TYPE_CHECKING:
    import asyncio

    from ._native import PendingCall

    class _Starts(Protocol):
        def _start(
            self,
            name: str,
            args: Dict[str, Any],
            on_event: Optional[Callable[[Dict[str, Any]], None]],
        ) -> Tuple[Any, Any]: ...
        def _forget(self) -> None: ...


__all__ = ["EventStream"]

_R = TypeVar("_R")
_END = object()


class EventStream(Generic[_R]):
    """The events of one call of a lifecycle helper, as they arrive.

    The call starts at the first ``async for`` step (or ``async with``) and ends with the
    iteration; its result is then :attr:`result`, its error raised by the last step.
    Leaving the loop early (``break``, an exception, cancelling the task) stops the wait at
    once, and never cancels the run unless ``cancel_on_abort=True``.
    """

    def __init__(
        self,
        client: _Starts,
        name: str,
        args: Dict[str, Any],
        convert: Callable[[Any], _R],
    ) -> None:
        self._client = client
        self._name = name
        self._args = args
        self._convert = convert
        self._queue: Optional[asyncio.Queue[Any]] = None
        self._future: Optional[asyncio.Future[Any]] = None
        self._pending: Optional[PendingCall] = None
        self._finished = False
        self._ended = False
        self._result: Optional[_R] = None

    def __repr__(self) -> str:
        state = "finished" if self._finished else "running" if self._pending else "not started"
        return f"EventStream({self._name}, {state})"

    @property
    def result(self) -> _R:
        """The helper's result, once the iteration has ended."""
        if not self._ended:
            raise RuntimeError(f"{self._name}: the stream has not ended (or was closed early)")
        return self._result  # type: ignore[return-value]

    def _start(self) -> None:
        from ._client import _asyncio

        queue: asyncio.Queue[Any] = _asyncio().Queue()
        future, pending = self._client._start(self._name, self._args, queue.put_nowait)
        future.add_done_callback(lambda _: queue.put_nowait(_END))
        self._queue, self._future, self._pending = queue, future, pending

    def __aiter__(self) -> EventStream[_R]:
        return self

    async def __anext__(self) -> _models.RunEvent:
        if self._finished:
            raise StopAsyncIteration
        if self._queue is None:
            self._start()
        assert self._queue is not None and self._future is not None
        try:
            item = await self._queue.get()
        except BaseException:
            self.close()
            raise
        if item is _END:
            self._finished = True
            self._client._forget()
            self._result = self._convert(self._future.result())
            self._ended = True
            raise StopAsyncIteration
        return _models.run_event(item)

    def close(self) -> None:
        """Stops the wait now (the run goes on unless ``cancel_on_abort=True``)."""
        if self._pending is not None and not self._finished:
            self._pending.cancel()
            try:
                self._client._forget()
            except RuntimeError:  # no running loop: the queue goes with its loop
                pass
        self._finished = True

    def __del__(self) -> None:
        # A stream dropped half-way must not leave its wait polling for nobody.
        pending = getattr(self, "_pending", None)
        if pending is not None and not getattr(self, "_finished", True):
            pending.cancel()

    async def aclose(self) -> None:
        """Like :meth:`close`, for ``contextlib.aclosing``."""
        self.close()

    async def __aenter__(self) -> EventStream[_R]:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

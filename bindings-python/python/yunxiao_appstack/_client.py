"""The clients: ``Client`` (blocking) and ``AsyncClient`` (asyncio), over the native core."""

from __future__ import annotations

import os
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Literal,
    Mapping,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from . import _native
from ._operations import _AsyncOperations, _Operations
from ._types import ExecuteReleaseStageResponse, ReleaseBranchRepoInfo

if TYPE_CHECKING:
    # asyncio costs ~60 ms to import: a deployment script that only uses ``Client`` never pays
    # for it (``AsyncClient`` callers have imported it already).
    import asyncio

__all__ = ["Client", "AsyncClient", "execute_release_stage", "Edition"]

#: The Yunxiao edition a client talks to: ``"central"`` (中心版, paths carry the
#: organization) or ``"region"`` (the organization's own domain).
# Spelled as a Union of single literals so that type checkers and the runtime agree on its shape.
Edition = Union[Literal["central"], Literal["region"]]

_Self = TypeVar("_Self", bound="_BaseClient")
_Events = Optional[Callable[[Dict[str, Any]], None]]


def _arguments(args: Dict[str, Any]) -> Dict[str, Any]:
    """The keyword arguments given (``None`` = not given), value classes in wire form."""
    return {
        name: value.to_dict() if isinstance(value, ReleaseBranchRepoInfo) else value
        for name, value in args.items()
        if value is not None
    }


def _request(
    app_name: str,
    release_workflow_sn: str,
    release_stage_sn: str,
    organization_id: Optional[str],
    comment: Optional[str],
    variables: Optional[Mapping[str, str]],
    branches: Optional[Mapping[str, str]],
    release_branch_repo_info: Union[ReleaseBranchRepoInfo, Mapping[str, Any], None],
    params: Optional[Mapping[str, Any]],
) -> _native.Request:
    info: Any = release_branch_repo_info
    if isinstance(info, ReleaseBranchRepoInfo):
        info = info.to_dict()
    return _native.Request(
        app_name,
        release_workflow_sn,
        release_stage_sn,
        organization_id=organization_id,
        comment=comment,
        variables=variables,
        branches=branches,
        release_branch_repo_info=info,
        params=params,
    )


class _BaseClient:
    """Settings and lifecycle shared by both clients."""

    _native: _native.Client

    def __init__(
        self,
        *,
        token: Optional[str] = None,
        base_url: Optional[str] = None,
        edition: Optional[Edition] = None,
        organization_id: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        max_response_bytes: Optional[int] = None,
        allow_insecure_http: bool = False,
        ca_bundle: Union[str, os.PathLike[str], None] = None,
        proxy: Optional[str] = None,
        deadline: Optional[float] = None,
        max_rps: Optional[float] = None,
    ) -> None:
        self._native = _native.Client(
            token=token,
            base_url=base_url,
            edition=edition,
            organization_id=organization_id,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            max_response_bytes=max_response_bytes,
            allow_insecure_http=allow_insecure_http,
            ca_bundle=ca_bundle,
            proxy=proxy,
            deadline=deadline,
            max_rps=max_rps,
        )

    @property
    def base_url(self) -> str:
        """The base URL, as resolved and normalised."""
        return self._native.base_url

    @property
    def edition(self) -> Edition:
        """``"central"`` or ``"region"``."""
        edition = self._native.edition
        return "region" if edition == "region" else "central"

    @property
    def organization_id(self) -> Optional[str]:
        """The default organization id of the calls, if any."""
        return self._native.organization_id

    @property
    def timeout(self) -> float:
        """Time allowed for one attempt, connect to last byte, in seconds."""
        return self._native.timeout

    @property
    def connect_timeout(self) -> float:
        """Time allowed to open a connection, in seconds."""
        return self._native.connect_timeout

    @property
    def max_retries(self) -> int:
        """Retries of failures where the server certainly did not act."""
        return self._native.max_retries

    @property
    def max_response_bytes(self) -> int:
        """Largest answer body read, in bytes."""
        return self._native.max_response_bytes

    @property
    def ca_bundle(self) -> Optional[str]:
        """The CA bundle trusted besides the system's roots, if any."""
        return self._native.ca_bundle

    @property
    def has_proxy(self) -> bool:
        """Whether an explicit ``proxy`` is set (its URL is a secret and never shown)."""
        return self._native.has_proxy

    @property
    def deadline(self) -> Optional[float]:
        """The longest one call may take across all its attempts, in seconds, if set."""
        return self._native.deadline

    @property
    def max_rps(self) -> Optional[float]:
        """The cap on requests per second of this client, if set."""
        return self._native.max_rps

    @property
    def user_agent(self) -> str:
        """The ``User-Agent`` header sent."""
        return self._native.user_agent

    @property
    def closed(self) -> bool:
        """Whether the client was closed."""
        return self._native.closed

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, edition={self.edition!r}, "
            f"organization_id={self.organization_id!r}, token='****')"
        )

    def __reduce__(self) -> Tuple[Any, ...]:
        # Pickling would have to carry the token; a client is made where it is used.
        raise TypeError(f"cannot pickle {type(self).__name__!r} objects")


class Client(_BaseClient, _Operations):
    """A blocking client of the Yunxiao AppStack OpenAPI.

    Every setting left ``None`` is read from its ``YUNXIAO_*`` environment variable, else takes
    the library's default:

    ======================  ============================  ==================================
    argument                environment variable          default
    ======================  ============================  ==================================
    ``token``               ``YUNXIAO_ACCESS_TOKEN``      none: required
    ``base_url``            ``YUNXIAO_API_BASE_URL``      ``https://openapi-rdc.aliyuncs.com``
    ``edition``             ``YUNXIAO_EDITION``           ``"central"``
    ``organization_id``     ``YUNXIAO_ORGANIZATION_ID``   none
    ``timeout``             ``YUNXIAO_TIMEOUT``           60 s per attempt
    ``connect_timeout``     ``YUNXIAO_CONNECT_TIMEOUT``   10 s
    ``max_retries``         ``YUNXIAO_MAX_RETRIES``       2 (at most 10)
    ``ca_bundle``           ``YUNXIAO_CA_BUNDLE``         none: the system's roots only
    ``proxy``               ``HTTPS_PROXY``/``ALL_PROXY`` none (a secret: never shown)
    ``deadline``            ``YUNXIAO_DEADLINE``          none: seconds for one call, retries
                                                          and waits included
    ``max_rps``             ``YUNXIAO_MAX_RPS``           none: requests per second, delayed
    ======================  ============================  ==================================

    ``max_response_bytes`` caps the answer body (8 MiB); ``allow_insecure_http`` permits a
    plain ``http://`` base URL on a host other than loopback.

    Every operation of the catalog is a method with keyword arguments (see ``_operations.py``:
    ``get_release_stage_pipeline_run``, ``list_release_stage_runs`` and ``iter_release_stage_runs``,
    ``wait_for_run(..., on_event=...)``, …). Ctrl-C during a wait stops polling at once and
    never cancels the run unless ``cancel_on_abort=True``.

    Raises :class:`ConfigurationError` when no token is found or a setting is invalid.

    One client holds one connection pool; share it between threads. The GIL is released for
    the whole network call. Use it as a context manager, or call :meth:`close`, to release the
    pool. After ``os.fork()`` the child process gets a fresh pool on its first call.
    """

    def execute_release_stage(
        self,
        app_name: str,
        release_workflow_sn: str,
        release_stage_sn: str,
        *,
        organization_id: Optional[str] = None,
        comment: Optional[str] = None,
        variables: Optional[Mapping[str, str]] = None,
        branches: Optional[Mapping[str, str]] = None,
        release_branch_repo_info: Union[ReleaseBranchRepoInfo, Mapping[str, Any], None] = None,
        params: Optional[Mapping[str, Any]] = None,
    ) -> ExecuteReleaseStageResponse:
        """Starts one run of a release stage (ExecuteChangeRequestReleaseStage).

        Args:
            app_name: The application.
            release_workflow_sn: The release workflow's serial number.
            release_stage_sn: The release stage's serial number.
            organization_id: The organization; defaults to the client's
                (``YUNXIAO_ORGANIZATION_ID``). Required by the central edition.
            comment: The run comment shown in the console (``FLOW_INST_RUNNING_COMMENT``).
            variables: Pipeline variables, sent in order as ``params`` entries.
            branches: The branch each pipeline source builds: ``{source_id: branch}``.
            release_branch_repo_info: Run with change requests instead of a branch: a
                :class:`ReleaseBranchRepoInfo`, or a mapping in wire form.
            params: Raw extra ``params`` entries, for anything newer than this library. A key
                given twice (here and as a variable, say) is an error, never an overwrite.

        Returns:
            The run that was started.

        The request is sent once, and again only when the server certainly did not act on it
        (the connection never opened, 429, 503 with ``Retry-After``), at most ``max_retries``
        times. Every error says whether the stage may have started: ``may_have_executed``.

        Ctrl-C (``KeyboardInterrupt``) cancels the request at once; the stage may have started.

        Raises:
            InvalidRequestError: before anything is sent, for an invalid id or parameter.
            APIStatusError: (and subclasses) the server answered with an error status.
            APIConnectionError: (and ``APITimeoutError``) no complete answer arrived.
            ResponseDecodeError: a 2xx answer that is not the expected JSON.
            TypeError: an argument of the wrong type.
            RuntimeError: the client was closed.
        """
        request = _request(
            app_name,
            release_workflow_sn,
            release_stage_sn,
            organization_id,
            comment,
            variables,
            branches,
            release_branch_repo_info,
            params,
        )
        return ExecuteReleaseStageResponse._from_native(self._native.execute(request))

    def call(
        self,
        name: str,
        arguments: Optional[Mapping[str, Any]] = None,
        *,
        on_event: _Events = None,
    ) -> Any:
        """Runs any operation or lifecycle helper of the core by name (OpenAPI or method name)
        with its arguments as a mapping, answering the core's JSON (``dict``/``list``) and
        ``on_event`` receiving events as ``dict``: for calls newer than the typed methods."""
        return self._call(name, dict(arguments or {}), on_event)

    def _call(self, name: str, args: Dict[str, Any], on_event: _Events = None) -> Any:
        return self._native.call(name, _arguments(args), on_event)

    def close(self) -> None:
        """Releases the connection pool. Calls in progress finish; later calls raise
        ``RuntimeError``."""
        self._native.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self._native.close()


# One completion queue per event loop with calls in flight (see ``_native.Completions``): the
# runtime threads push finished calls there without taking the GIL, and the loop drains them
# all at once when the queue's socket becomes readable. An entry goes when its loop has no
# call pending, or when the loop is found closed.
_queues: Dict[Any, _native.Completions] = {}


def _completions(loop: asyncio.AbstractEventLoop) -> _native.Completions:
    """The completion queue of ``loop``, created and watched on first use."""
    queue = _queues.get(loop)
    if queue is None:
        # ``list()`` copies the keys at once: loops of other threads may come and go meanwhile.
        for other in list(_queues):
            stale = _queues.get(other)
            if stale is not None and other.is_closed():
                _release(other, stale)
        queue = _native.Completions()
        loop.add_reader(queue.fileno(), _drain, loop, queue)
        _queues[loop] = queue
    return queue


def _drain(loop: asyncio.AbstractEventLoop, queue: _native.Completions) -> None:
    """The ``add_reader`` callback: settles every finished call's future."""
    if not queue.drain():
        # Released on the next iteration, once the callbacks just scheduled have run: a loop
        # that makes one call after another keeps its queue.
        loop.call_soon(_release_if_idle, loop, queue)


def _release_if_idle(loop: asyncio.AbstractEventLoop, queue: _native.Completions) -> None:
    if not queue.pending:
        _release(loop, queue)


def _release(loop: asyncio.AbstractEventLoop, queue: _native.Completions) -> None:
    """Stops watching ``queue`` and forgets it; its socket closes with the last reference."""
    if _queues.get(loop) is queue:
        _queues.pop(loop, None)
    if not loop.is_closed():
        loop.remove_reader(queue.fileno())


if hasattr(os, "register_at_fork"):
    # A forked child builds its own queues: the inherited ones are the parent's.
    os.register_at_fork(after_in_child=_queues.clear)


class AsyncClient(_BaseClient, _AsyncOperations):
    """An asyncio client of the Yunxiao AppStack OpenAPI.

    Takes the same settings as :class:`Client`. Calls run on the library's I/O runtime, not on
    a thread of their own, so any number may run at once on one client; cancelling the task
    that awaits a call cancels its request. Use ``async with``, or ``await close()``, to
    release the connection pool. A client may be used from several event loops.
    """

    async def execute_release_stage(
        self,
        app_name: str,
        release_workflow_sn: str,
        release_stage_sn: str,
        *,
        organization_id: Optional[str] = None,
        comment: Optional[str] = None,
        variables: Optional[Mapping[str, str]] = None,
        branches: Optional[Mapping[str, str]] = None,
        release_branch_repo_info: Union[ReleaseBranchRepoInfo, Mapping[str, Any], None] = None,
        params: Optional[Mapping[str, Any]] = None,
    ) -> ExecuteReleaseStageResponse:
        """Starts one run of a release stage; see :meth:`Client.execute_release_stage`.

        Cancelling the awaiting task (``task.cancel()``, ``asyncio.wait_for`` running out)
        cancels the request; the stage may have started.
        """
        request = _request(
            app_name,
            release_workflow_sn,
            release_stage_sn,
            organization_id,
            comment,
            variables,
            branches,
            release_branch_repo_info,
            params,
        )
        loop = _asyncio().get_running_loop()
        queue = _queues.get(loop) or _completions(loop)
        future: asyncio.Future[Tuple[Any, ...]] = loop.create_future()
        pending = self._native.start(request, queue, future)
        try:
            values = await future
        except BaseException:
            # Cancelled (or the loop is going away): drop the request instead of leaving it
            # running for nobody.
            pending.cancel()
            if not queue.pending:
                _release(loop, queue)
            raise
        return ExecuteReleaseStageResponse._from_native(values)

    async def call(
        self,
        name: str,
        arguments: Optional[Mapping[str, Any]] = None,
        *,
        on_event: _Events = None,
    ) -> Any:
        """Runs any operation or lifecycle helper by name; see :meth:`Client.call`."""
        return await self._call(name, dict(arguments or {}), on_event)

    async def _call(self, name: str, args: Dict[str, Any], on_event: _Events = None) -> Any:
        future, pending = self._start(name, args, on_event)
        try:
            return await future
        except BaseException:
            # Cancelled: stop the call (a wait stops polling; the run goes on unless
            # cancel_on_abort=True, when the core cancels it in the background).
            pending.cancel()
            self._forget()
            raise

    def _start(
        self, name: str, args: Dict[str, Any], on_event: _Events
    ) -> Tuple[asyncio.Future[Any], _native.PendingCall]:
        loop = _asyncio().get_running_loop()
        queue = _queues.get(loop) or _completions(loop)
        future: asyncio.Future[Any] = loop.create_future()
        pending = self._native.start_call(name, _arguments(args), queue, future, on_event)
        return future, pending

    def _forget(self) -> None:
        """Stops watching the running loop's queue when no call is pending on it."""
        loop = _asyncio().get_running_loop()
        queue = _queues.get(loop)
        if queue is not None and not queue.pending:
            _release(loop, queue)

    async def close(self) -> None:
        """Releases the connection pool. Calls in progress finish; later calls raise
        ``RuntimeError``."""
        self._native.close()

    async def __aenter__(self: _Self) -> _Self:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self._native.close()


def execute_release_stage(
    app_name: str,
    release_workflow_sn: str,
    release_stage_sn: str,
    *,
    organization_id: Optional[str] = None,
    comment: Optional[str] = None,
    variables: Optional[Mapping[str, str]] = None,
    branches: Optional[Mapping[str, str]] = None,
    release_branch_repo_info: Union[ReleaseBranchRepoInfo, Mapping[str, Any], None] = None,
    params: Optional[Mapping[str, Any]] = None,
) -> ExecuteReleaseStageResponse:
    """Starts one run of a release stage with a client configured entirely from the
    ``YUNXIAO_*`` environment variables; see :meth:`Client.execute_release_stage`.

    Builds and closes a client per call: for many calls, keep a :class:`Client`.
    """
    with Client() as client:
        return client.execute_release_stage(
            app_name,
            release_workflow_sn,
            release_stage_sn,
            organization_id=organization_id,
            comment=comment,
            variables=variables,
            branches=branches,
            release_branch_repo_info=release_branch_repo_info,
            params=params,
        )


def _asyncio() -> Any:
    """The asyncio module, imported on first use (see the note at the imports); after the first
    call this is a lookup in ``sys.modules``."""
    import asyncio

    return asyncio

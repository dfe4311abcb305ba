"""The exceptions of yunxiao_appstack, one class per kind of core error.

Hierarchy::

    YunxiaoError
    ├── APIStatusError                 the server answered with a non-2xx status
    │   ├── BadRequestError            400
    │   ├── AuthenticationError        401
    │   ├── PermissionDeniedError      403
    │   ├── NotFoundError              404
    │   ├── RateLimitError             429
    │   └── InternalServerError        500 and above
    ├── APIConnectionError             no complete answer arrived
    │   └── APITimeoutError
    ├── InvalidRequestError            (also a ValueError) refused before anything was sent
    ├── ConfigurationError             the client could not be configured
    └── ResponseDecodeError            a 2xx answer that is not the expected JSON
        └── ResponseTooLargeError      a 2xx answer larger than max_response_bytes

Every exception says whether the release stage may have started despite the error:
``may_have_executed``. Executing a stage is not idempotent; the client already retried what was
safe to retry, so check the stage's runs before retrying an error where it is ``True``.

No exception's message, ``repr`` or attributes ever hold the access token.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Type

from . import _error_kinds

__all__ = [
    "YunxiaoError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "RateLimitError",
    "InternalServerError",
    "APIConnectionError",
    "APITimeoutError",
    "InvalidRequestError",
    "ConfigurationError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
]


class YunxiaoError(Exception):
    """Base class of every error raised by yunxiao_appstack.

    Attributes:
        message: A short description, without the kind prefix (``str(error)`` is the full,
            one-line description).
        kind: The stable code of the core's error kind, shared by every language binding and
            the CLI, e.g. ``"rate_limited"`` or ``"timeout"``.
        may_have_executed: Whether the server may have started a pipeline run despite the
            error. ``False`` only when it certainly did not.
        status: The HTTP status of the answer, when there was one.
        request_id: The request id of the answer, when there was one; quote it to support.
        operation: The OpenAPI name of the call that failed (``None`` before any call).
        effect: ``"read_only"``, ``"idempotent"`` or ``"mutating"``: what retrying it risks.
        action: What the call was doing, e.g. ``"getting run 42 of stage …"``.
        started_at: When the request was sent, in seconds since the epoch (``time.time()``):
            pass ``int(started_at * 1000)`` as ``since_epoch_ms`` to
            ``find_runs_started_since`` to tell whether an ambiguous execute started a run.
    """

    #: The kind code a class stands for; ``None`` on classes that are not a single kind.
    default_kind: Optional[str] = None

    message: str
    kind: str
    may_have_executed: bool
    status: Optional[int]
    request_id: Optional[str]
    operation: Optional[str] = None
    effect: Optional[str] = None
    action: Optional[str] = None
    started_at: Optional[float] = None

    def __init__(
        self,
        message: str,
        *,
        kind: Optional[str] = None,
        may_have_executed: bool = False,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        description: Optional[str] = None,
    ) -> None:
        text = description if description is not None else message
        super().__init__(text)
        self.message = message
        self.kind = kind if kind is not None else (self.default_kind or "unknown")
        self.may_have_executed = may_have_executed
        self.status = status
        self.request_id = request_id

    def _repr_fields(self) -> Dict[str, Any]:
        fields: Dict[str, Any] = {"kind": self.kind}
        if self.status is not None:
            fields["status"] = self.status
        if self.request_id is not None:
            fields["request_id"] = self.request_id
        fields["may_have_executed"] = self.may_have_executed
        return fields

    def __repr__(self) -> str:
        extra = "".join(f", {name}={value!r}" for name, value in self._repr_fields().items())
        return f"{type(self).__name__}({str(self)!r}{extra})"

    def __reduce__(self) -> Tuple[Any, ...]:
        # Keyword-only constructor arguments defeat Exception's default pickling, which
        # multiprocessing uses to send a worker's exception back to the parent.
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


def _rebuild(cls: Type[YunxiaoError], text: str, state: Dict[str, Any]) -> YunxiaoError:
    error = cls.__new__(cls)
    Exception.__init__(error, text)
    error.__dict__.update(state)
    return error


class APIStatusError(YunxiaoError):
    """The server answered with a status other than 2xx.

    Raised as is for statuses without a class of their own (409, 3xx, …).

    Attributes:
        status: The HTTP status.
        error_code: ``errorCode`` from the body, e.g. ``"InvalidTokenError"``.
        trace_id: ``traceId`` from the body.
        body: The body of the answer, cut to a few KiB, the token scrubbed out.
        retry_after: The server's ``Retry-After``, in seconds, when it sent one.
    """

    default_kind = "api_status"

    status: int
    error_code: Optional[str]
    trace_id: Optional[str]
    body: str
    retry_after: Optional[float]

    def __init__(
        self,
        message: str,
        *,
        status: int,
        kind: Optional[str] = None,
        may_have_executed: bool = False,
        request_id: Optional[str] = None,
        error_code: Optional[str] = None,
        trace_id: Optional[str] = None,
        body: str = "",
        retry_after: Optional[float] = None,
        description: Optional[str] = None,
    ) -> None:
        super().__init__(
            message,
            kind=kind,
            may_have_executed=may_have_executed,
            status=status,
            request_id=request_id,
            description=description,
        )
        self.status = status
        self.error_code = error_code
        self.trace_id = trace_id
        self.body = body
        self.retry_after = retry_after

    def _repr_fields(self) -> Dict[str, Any]:
        fields = super()._repr_fields()
        if self.error_code is not None:
            fields["error_code"] = self.error_code
        if self.retry_after is not None:
            fields["retry_after"] = self.retry_after
        return fields


class BadRequestError(APIStatusError):
    """HTTP 400: the server refused the request's content."""

    default_kind = "bad_request"


class AuthenticationError(APIStatusError):
    """HTTP 401: the access token is missing, wrong or expired."""

    default_kind = "authentication"


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the token's user may not run this stage."""

    default_kind = "permission_denied"


class NotFoundError(APIStatusError):
    """HTTP 404: no such organization, app, workflow or stage."""

    default_kind = "not_found"


class RateLimitError(APIStatusError):
    """HTTP 429, after the client's own retries: ``retry_after`` says when to try again."""

    default_kind = "rate_limited"


class InternalServerError(APIStatusError):
    """HTTP 500 and above. ``may_have_executed`` is ``True`` unless the answer was a 503 with
    ``Retry-After``."""

    default_kind = "server"


class APIConnectionError(YunxiaoError):
    """No complete answer arrived: the connection could not be opened, or broke.

    ``may_have_executed`` is ``False`` when the connection never opened, ``True`` when it broke
    after the request was sent.
    """

    default_kind = "connection"


class APITimeoutError(APIConnectionError):
    """An attempt ran out of time (``timeout`` or ``connect_timeout``).

    ``may_have_executed`` is ``False`` only when the time ran out while connecting.
    """

    default_kind = "timeout"


class InvalidRequestError(YunxiaoError, ValueError):
    """The request was refused before anything was sent: an empty or malformed id, a control
    character, a parameter given twice. Also a ``ValueError``."""

    default_kind = "invalid_request"


class ConfigurationError(YunxiaoError):
    """The client could not be configured: no token, a bad base URL, a bad ``YUNXIAO_*``
    environment value."""

    default_kind = "configuration"


class ResponseDecodeError(YunxiaoError):
    """The server answered 2xx, but not with the JSON object this call returns. The stage has
    most likely started (``may_have_executed`` is ``True``)."""

    default_kind = "decode"


class ResponseTooLargeError(ResponseDecodeError):
    """The answer was larger than ``max_response_bytes`` and was not read to the end: a
    :class:`ResponseDecodeError`, as in the Node binding (``ResponseTooLargeError extends
    ResponseDecodeError``), so ``except ResponseDecodeError`` catches both."""

    default_kind = "response_too_large"


# The kind -> class table is generated from the catalog (_error_kinds.py), shared in meaning
# with the Node binding: `response_too_large` is a ResponseTooLargeError, a subclass of
# ResponseDecodeError, there and here.
_CLASSES: Dict[str, Type[YunxiaoError]] = {
    code: globals()[name] for code, name in _error_kinds.CLASS_NAMES.items()
}


def exception_class(kind: str) -> Type[YunxiaoError]:
    """The exception class raised for a core error kind code (``YunxiaoError`` for a kind this
    version does not know)."""
    return _CLASSES.get(kind, YunxiaoError)


def _from_native(
    kind: str,
    message: str,
    description: str,
    may_have_executed: bool,
    status: Optional[int],
    request_id: Optional[str],
    error_code: Optional[str],
    trace_id: Optional[str],
    retry_after: Optional[float],
    body: Optional[str],
    call: Optional[Tuple[str, str, str, float]] = None,
) -> YunxiaoError:
    """Builds the exception for a core error; called by the native module."""
    error = _build(
        kind,
        message,
        description,
        may_have_executed,
        status,
        request_id,
        error_code,
        trace_id,
        retry_after,
        body,
    )
    if call is not None:
        error.operation, error.effect, error.action, error.started_at = call
    return error


def _build(
    kind: str,
    message: str,
    description: str,
    may_have_executed: bool,
    status: Optional[int],
    request_id: Optional[str],
    error_code: Optional[str],
    trace_id: Optional[str],
    retry_after: Optional[float],
    body: Optional[str],
) -> YunxiaoError:
    cls = exception_class(kind)
    if issubclass(cls, APIStatusError):
        if status is None:  # not an answer after all: keep the kind, drop the status class
            return YunxiaoError(
                message,
                kind=kind,
                may_have_executed=may_have_executed,
                request_id=request_id,
                description=description,
            )
        return cls(
            message,
            kind=kind,
            may_have_executed=may_have_executed,
            status=status,
            request_id=request_id,
            error_code=error_code,
            trace_id=trace_id,
            body=body or "",
            retry_after=retry_after,
            description=description,
        )
    return cls(
        message,
        kind=kind,
        may_have_executed=may_have_executed,
        status=status,
        request_id=request_id,
        description=description,
    )

"""Type stubs of the private native module; checked against the compiled module by stubtest."""

from typing import Any, Callable, Dict, Final, Optional, Tuple, final

__all__ = [
    "Client",
    "Completions",
    "DEFAULT_BASE_URL",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ERROR_KINDS",
    "MAX_RETRIES_LIMIT",
    "PendingCall",
    "Request",
    "TOKEN_HEADER",
    "__version__",
    "_after_fork_in_child",
    "_at_exit",
]
__version__: Final[str]
DEFAULT_BASE_URL: Final[str]
DEFAULT_TIMEOUT: Final[float]
DEFAULT_CONNECT_TIMEOUT: Final[float]
DEFAULT_MAX_RETRIES: Final[int]
MAX_RETRIES_LIMIT: Final[int]
DEFAULT_MAX_RESPONSE_BYTES: Final[int]
TOKEN_HEADER: Final[str]
ERROR_KINDS: Final[Tuple[str, ...]]

def _at_exit() -> None: ...
def _after_fork_in_child() -> None: ...

@final
class Request:
    def __new__(
        cls,
        app_name: object,
        release_workflow_sn: object,
        release_stage_sn: object,
        *,
        organization_id: object = None,
        comment: object = None,
        variables: object = None,
        branches: object = None,
        release_branch_repo_info: object = None,
        params: object = None,
    ) -> Request: ...

@final
class Completions:
    def __new__(cls) -> Completions: ...
    def fileno(self) -> int: ...
    @property
    def pending(self) -> int: ...
    def drain(self) -> int: ...

@final
class PendingCall:
    def cancel(self) -> None: ...
    def done(self) -> bool: ...

@final
class Client:
    def __new__(
        cls,
        *,
        token: object = None,
        base_url: object = None,
        edition: object = None,
        organization_id: object = None,
        timeout: object = None,
        connect_timeout: object = None,
        max_retries: object = None,
        max_response_bytes: object = None,
        allow_insecure_http: object = None,
        ca_bundle: object = None,
        proxy: object = None,
        deadline: object = None,
        max_rps: object = None,
    ) -> Client: ...
    def execute(
        self, request: Request
    ) -> Tuple[Optional[int], Optional[int], Optional[int], Optional[str], int, Any]: ...
    def start(self, request: Request, completions: Completions, future: object) -> PendingCall: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def base_url(self) -> str: ...
    @property
    def edition(self) -> str: ...
    @property
    def organization_id(self) -> Optional[str]: ...
    @property
    def timeout(self) -> float: ...
    @property
    def connect_timeout(self) -> float: ...
    @property
    def max_retries(self) -> int: ...
    @property
    def max_response_bytes(self) -> int: ...
    @property
    def user_agent(self) -> str: ...
    @property
    def ca_bundle(self) -> Optional[str]: ...
    @property
    def has_proxy(self) -> bool: ...
    @property
    def deadline(self) -> Optional[float]: ...
    @property
    def max_rps(self) -> Optional[float]: ...
    def call(
        self,
        name: str,
        args: Dict[str, Any],
        on_event: Optional[Callable[[Dict[str, Any]], None]] = None,
    ) -> Any: ...
    def start_call(
        self,
        name: str,
        args: Dict[str, Any],
        completions: Completions,
        future: object,
        on_event: Optional[Callable[[Dict[str, Any]], None]] = None,
    ) -> PendingCall: ...

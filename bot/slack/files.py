"""Slack files: which shared files are data, download one with the bot token, upload answers."""

from __future__ import annotations

import logging
import re
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import PurePosixPath
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from segmentation.errors import FileTooLarge, SegmentationError

__all__ = [
    "DATA_EXTENSIONS",
    "MAX_RETRIES",
    "SlackFile",
    "MissingFilesRead",
    "DownloadFailed",
    "build_retry_handlers",
    "check_size",
    "download_file",
    "safe_stem",
    "upload_answer",
    "upload_audiences",
]

logger = logging.getLogger(__name__)

DATA_EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")
# Slack's own `filetype` names for the same formats ("text" is also every snippet, so .txt
# files are recognised by their name only).
_DATA_FILETYPES = frozenset({"csv", "tsv", "xlsx"})
# Slack's filetypes of Google's own documents (their bytes are never on Slack).
_EXTERNAL_FILETYPES = frozenset({"gsheet"})
MAX_RETRIES = 3


class MissingFilesRead(SegmentationError):
    """Slack answered a download with its sign-in page: the token lacks ``files:read``."""

    kind = "missing_scope"


class DownloadFailed(SegmentationError):
    """The file could not be fetched from Slack, even after retries."""

    kind = "download_failed"


def build_retry_handlers() -> list[RetryHandler]:
    """The retry policy for every call to Slack: 429 (honouring Retry-After), 5xx, resets."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=MAX_RETRIES),
        ServerErrorRetryHandler(max_retry_count=MAX_RETRIES),
        ConnectionErrorRetryHandler(max_retry_count=MAX_RETRIES),
    ]


@dataclass(frozen=True)
class SlackFile:
    """The parts of a Slack file object the bot uses (``files.info``/``files.list``/events)."""

    id: str
    name: str
    size: int | None
    filetype: str
    url: str | None
    user: str | None
    created: float
    shares: Mapping[str, Any]
    external: bool = False

    @classmethod
    def from_api(cls, obj: Mapping[str, Any]) -> SlackFile:
        """Read a file object as Slack sends it."""
        size = obj.get("size")
        return cls(
            id=str(obj["id"]),
            name=str(obj.get("name") or obj.get("title") or obj["id"]),
            size=int(size) if isinstance(size, int | float) else None,
            filetype=str(obj.get("filetype") or "").lower(),
            url=obj.get("url_private_download") or obj.get("url_private"),
            user=obj.get("user"),
            created=float(obj.get("created") or obj.get("timestamp") or 0),
            shares=obj.get("shares") or {},
            # Google Drive files (and native Google Sheets) live on another host.
            external=bool(obj.get("is_external"))
            or obj.get("mode") == "external"
            or str(obj.get("filetype") or "").lower() in _EXTERNAL_FILETYPES,
        )

    @property
    def is_data(self) -> bool:
        """True for the spreadsheet formats the core reads; everything else is left alone."""
        return (
            PurePosixPath(self.name.lower()).suffix in DATA_EXTENSIONS
            or self.filetype in _DATA_FILETYPES
        )

    @property
    def is_external(self) -> bool:
        """A file whose bytes live elsewhere (Google Drive): never downloaded with our token."""
        return self.external

    @property
    def is_table(self) -> bool:
        """A data file, or a native Google Sheet (a table the person can download for us)."""
        return self.is_data or self.filetype in _EXTERNAL_FILETYPES

    def share_ts(self, channel: str) -> str | None:
        """The ts of the newest message that shared the file in ``channel``."""
        for visibility in ("public", "private"):
            shares = (self.shares.get(visibility) or {}).get(channel)
            if shares:
                return shares[0].get("ts")
        return None

    def thread_ts(self, channel: str) -> str | None:
        """The ts to answer under in ``channel``: the share's thread, else the share itself."""
        for visibility in ("public", "private"):
            shares = (self.shares.get(visibility) or {}).get(channel)
            if shares:
                first = shares[0]
                return first.get("thread_ts") or first.get("ts")
        return None


def check_size(file: SlackFile, max_bytes: int) -> None:
    """Refuse a file that is over the limit, before a single byte is downloaded."""
    if file.size is not None and file.size > max_bytes:
        raise FileTooLarge(
            f"{file.name} is {_megabytes(file.size)}, and I can take files up to "
            f"{_megabytes(max_bytes)}: share a smaller extract (fewer rows or columns)."
        )


def download_file(
    file: SlackFile,
    token: str,
    *,
    max_bytes: int,
    api_url: str,
    retry_handlers: Sequence[RetryHandler] | None = None,
    timeout: float = 60.0,
) -> bytes:
    """GET the file's private download URL with ``Authorization: Bearer``.

    Retried like Web API calls. Raises :class:`MissingFilesRead` when Slack answers with its
    HTML sign-in page, :class:`FileTooLarge` past ``max_bytes``, :class:`DownloadFailed`
    when Slack cannot be reached or refuses.
    """
    if not file.url:
        raise DownloadFailed(f"Slack gave me no download link for {file.name}; share it again.")
    if not _may_carry_token(file.url, api_url):
        # The bot token only ever goes to Slack's own hosts (or to the configured API host).
        raise DownloadFailed(
            f"{file.name} lives outside Slack, where I can't open it: download it as a CSV or "
            "Excel file and upload that here."
        )
    handlers = list(retry_handlers) if retry_handlers is not None else build_retry_handlers()
    opener = urllib.request.build_opener(_SameHostAuthRedirect())
    state = RetryState()
    while True:
        request = urllib.request.Request(file.url, method="GET")
        request.add_unredirected_header("Authorization", f"Bearer {token}")
        # The retry handlers see the request without its token.
        retry_request = HttpRequest(method="GET", url=file.url, headers={})
        try:
            with opener.open(request, timeout=timeout) as response:
                content_type = response.headers.get("Content-Type", "")
                data = response.read(max_bytes + 1)
            break
        except HTTPError as error:
            answer = HttpResponse(status_code=error.code, headers=dict(error.headers.items()))
            error.close()
            if _retry(handlers, state, retry_request, answer, error):
                continue
            if error.code in (401, 403):
                raise MissingFilesRead(_missing_files_read(file.name)) from None
            raise DownloadFailed(
                f"Slack would not give me {file.name} (HTTP {error.code}); share it again, "
                "or try again in a few minutes."
            ) from None
        except (URLError, HTTPException, OSError) as error:
            if _retry(handlers, state, retry_request, None, error):
                continue
            raise DownloadFailed(
                f"I couldn't download {file.name} from Slack; please try again in a few minutes."
            ) from None
    head = data[:512].lstrip().lower()
    if "text/html" in content_type.lower() or head.startswith((b"<!doctype", b"<html")):
        raise MissingFilesRead(_missing_files_read(file.name))
    if len(data) > max_bytes:
        raise FileTooLarge(
            f"{file.name} is larger than {_megabytes(max_bytes)}, the most I can take: "
            "share a smaller extract (fewer rows or columns)."
        )
    return data


def upload_answer(
    client: WebClient,
    *,
    channel: str,
    thread_ts: str,
    source_name: str,
    png: bytes,
    csv: bytes,
    extra: list[dict[str, Any]] | None = None,
) -> None:
    """Upload the scatter PNG and the labelled CSV into the answer's thread, in one call
    (``extra``: more files for the same call, such as the movement picture)."""
    stem = safe_stem(source_name)
    client.files_upload_v2(
        file_uploads=[
            {"content": png, "filename": f"{stem}-segments.png", "title": f"{stem}: segments"},
            {
                "content": csv,
                "filename": f"{stem}-segments.csv",
                "title": f"{stem}: rows with their segment",
            },
            *(extra or []),
        ],
        channel=channel,
        thread_ts=thread_ts,
    )


def upload_audiences(
    client: WebClient,
    *,
    channel: str,
    thread_ts: str | None,
    source_name: str,
    files: dict[str, bytes],
) -> None:
    """Upload audience files (``{"<segment-slug>.csv": bytes}``) into a thread, in one call,
    named after the user's file like the labelled CSV."""
    stem = safe_stem(source_name)
    client.files_upload_v2(
        file_uploads=[
            {"content": body, "filename": f"{stem}-{slug}", "title": f"{stem}: {slug[:-4]}"}
            for slug, body in files.items()
        ],
        channel=channel,
        thread_ts=thread_ts,
    )


def _retry(
    handlers: Sequence[RetryHandler],
    state: RetryState,
    request: HttpRequest,
    response: HttpResponse | None,
    error: Exception,
) -> bool:
    # Same loop as slack_sdk's WebClient: the first handler that accepts sleeps, then retry.
    for handler in handlers:
        if handler.can_retry(state=state, request=request, response=response, error=error):
            logger.info(
                "Retrying a file download after %s (attempt %d)",
                response.status_code if response is not None else type(error).__name__,
                state.current_attempt + 1,
            )
            handler.prepare_for_next_attempt(
                state=state, request=request, response=response, error=error
            )
            return True
    return False


class _SameHostAuthRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects, keeping the bearer token only while the host stays the same."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        auth = req.get_header("Authorization")
        if new is not None and auth and urlparse(newurl).netloc == urlparse(req.full_url).netloc:
            new.add_unredirected_header("Authorization", auth)
        return new


def _may_carry_token(url: str, api_url: str) -> bool:
    """Only Slack's own hosts (files.slack.com) over HTTPS, or the configured API host (the
    stand-in Slack in tests), ever see the bot token; a Google Drive link never does."""
    target, api = urlparse(url), urlparse(api_url)
    host = (target.hostname or "").lower()
    if target.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com")):
        return True
    return bool(host) and target.scheme == api.scheme and host == (api.hostname or "").lower()


def _missing_files_read(name: str) -> str:
    return (
        f"I couldn't download {name}: Slack sent me its sign-in page, which means my app is "
        "missing the files:read permission. This is a set-up problem: ask whoever manages the "
        "Slack app to add the files:read scope under OAuth & Permissions, reinstall the app, "
        "and share the file again."
    )


def _megabytes(n: int) -> str:
    value = n / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 10 else f"{value:.1f} MB"


def safe_stem(name: str) -> str:
    """A file-name stem from the user's file name, safe to name uploads with."""
    stem = PurePosixPath(name).stem or "segments"
    stem = re.sub(r"[^\w.\- ]+", "_", stem).strip() or "segments"
    return stem[:80]

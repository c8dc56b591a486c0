"""Export through the render proxy: submit the session's draft, poll until a URL is ready."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from ..._errors import BackendError, Cancelled
from ._client import NemoClient, ServiceError
from ._models import RenderJob
from ._redact import mask

log = logging.getLogger("game_music.nemo")

POLL_FIRST_S = 2.0  # then x1.5 per poll, capped: quick for short clips, gentle for long ones
POLL_MAX_S = 15.0
RENDER_TIMEOUT_S = 600.0


class RenderTimeout(BackendError):
    """Still rendering after the timeout; the render may still finish in the web editor."""


def new_render_id() -> str:
    return f"render_{uuid.uuid4().hex}"


def _duplicate_id(exc: ServiceError) -> bool:
    text = str(exc).lower()
    return exc.status == 409 or "duplicate" in text or "already exist" in text


def export(
    client: NemoClient,
    session_id: str,
    draft: dict[str, Any],
    *,
    progress: Callable[[float], None] = lambda f: None,
    timeout: float = RENDER_TIMEOUT_S,
) -> RenderJob:
    """Render ``draft`` to MP4 and return the finished job (``job.output_url`` is set)."""
    render_id = new_render_id()
    try:
        job = client.submit_render(render_id, session_id, draft)
    except ServiceError as exc:
        if not _duplicate_id(exc):
            raise
        render_id = new_render_id()  # ids must be unique; one fresh try
        job = client.submit_render(render_id, session_id, draft)
    log.debug("render %s submitted", render_id)
    try:
        return _wait(client, render_id, job, progress, timeout)
    except (KeyboardInterrupt, Cancelled):
        try:
            client.cancel_render(render_id)
        except Exception as exc:  # noqa: BLE001 - best effort on the way out
            log.debug("render cancel failed: %s", exc)
        raise Cancelled("export cancelled") from None


def _wait(
    client: NemoClient,
    render_id: str,
    job: RenderJob,
    progress: Callable[[float], None],
    timeout: float,
) -> RenderJob:
    start = client.clock()
    interval = POLL_FIRST_S
    while True:
        if job.failed:
            reason = f": {mask(' '.join(str(job.error).split()))[:200]}" if job.error else ""
            raise BackendError(f"NemoVideo could not render the video{reason}")
        if job.progress is not None:
            progress(min(0.99, max(0.0, job.progress / 100)))
        if job.done:
            progress(1.0)
            return job.model_copy(update={"id": job.id or render_id})
        if client.clock() - start >= timeout:
            raise RenderTimeout(
                f"NemoVideo is still rendering after {int(timeout // 60)} minutes"
            )
        client.sleep(interval)
        interval = min(interval * 1.5, POLL_MAX_S)
        job = client.poll_render(render_id)

"""File uploads on the Slack stand-in: the three steps of slack_sdk's `files_upload_v2`.

`files.getUploadURLExternal` hands out an upload URL on the stand-in's own loopback port, the
client POSTs the bytes there, and `files.completeUploadExternal` shares the uploaded files in
a channel (and thread). `Upload` keeps what arrived, so a test sees the PNG, its alt text and
where it was shared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Upload:
    file_id: str
    filename: str
    length: int
    alt_txt: str | None
    data: bytes | None = None
    title: str | None = None
    #: Set by files.completeUploadExternal: where the file was shared.
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    shared: bool = False


@dataclass
class SlackFiles:
    uploads: dict[str, Upload] = field(default_factory=dict)

    @property
    def shared(self) -> list[Upload]:
        """The files shared so far, in the order they were started."""
        return [u for u in self.uploads.values() if u.shared]

    def get_upload_url(self, payload: dict[str, Any], origin: str) -> dict[str, Any]:
        filename = str(payload.get("filename") or "")
        try:
            length = int(payload.get("length") or 0)
        except ValueError:
            length = 0
        if not filename or length <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(self.uploads) + 1:08d}"
        alt = payload.get("alt_txt")
        self.uploads[file_id] = Upload(
            file_id=file_id, filename=filename, length=length, alt_txt=alt if alt else None
        )
        return {"ok": True, "upload_url": f"{origin}/upload/{file_id}", "file_id": file_id}

    async def receive(self, request: web.Request) -> web.Response:
        """The upload URL: keep the bytes; Slack answers 200 with a short text."""
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="not found")
        upload.data = await request.read()
        return web.Response(text=f"OK - {len(upload.data)}")

    def complete(self, payload: dict[str, Any], channel: str | None) -> dict[str, Any]:
        raw = payload.get("files")
        try:
            files = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            files = None
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        done = []
        for item in files:
            upload = self.uploads.get(str(item.get("id"))) if isinstance(item, dict) else None
            if upload is None or upload.data is None or len(upload.data) != upload.length:
                return {"ok": False, "error": "file_not_found"}
            done.append((upload, item))
        for upload, item in done:
            upload.title = item.get("title")
            upload.channel = channel
            upload.thread_ts = payload.get("thread_ts") or None
            upload.initial_comment = payload.get("initial_comment") or None
            upload.shared = True
        return {
            "ok": True,
            "files": [
                {"id": u.file_id, "name": u.filename, "title": u.title or u.filename}
                for u, _ in done
            ],
        }

"""The jail's wire format: length-prefixed JSON frames, with fds passed as SCM_RIGHTS.

Used on the runtime <-> init control socket (spawn requests carry the call's stdout and status
sockets) and between init and its spare shim. A stream socket (not SEQPACKET) so a frame is not
capped by the socket buffer: the fds ride on the first bytes.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

_HEADER = struct.Struct("!I")
MAX_FRAME = 64 << 20


def send_frame(sock: socket.socket, obj: Any, fds: list[int] | None = None) -> None:
    payload = json.dumps(obj).encode()
    data = _HEADER.pack(len(payload)) + payload
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))] if fds else []
    sent = sock.sendmsg([data], anc)  # the fds ride on the first bytes
    if sent < len(data):
        sock.sendall(data[sent:])


def recv_frame(sock: socket.socket) -> tuple[Any, list[int]] | None:
    """One frame and the fds that came with it; None on EOF."""
    msg, anc, _flags, _addr = sock.recvmsg(_HEADER.size, socket.CMSG_SPACE(4 * 8))
    fds: list[int] = []
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.extend(struct.unpack(f"{len(data) // 4}i", data[: len(data) - len(data) % 4]))
    if not msg:
        return None
    while len(msg) < _HEADER.size:
        more = sock.recv(_HEADER.size - len(msg))
        if not more:
            return None
        msg += more
    (size,) = _HEADER.unpack(msg)
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes")
    chunks: list[bytes] = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return json.loads(b"".join(chunks)), fds

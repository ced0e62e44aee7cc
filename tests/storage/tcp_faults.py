"""A loopback TCP proxy that cuts connections mid-request: a network failing under a client.

Put between the S3 client and the server, it forwards bytes both ways and, for the first
`cut_connections` connections, resets them once `cut_after` bytes came from the client (a
dropped connection halfway through an upload).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator


class CuttingProxy:
    def __init__(self, target_port: int, *, cut_after: int, cut_connections: int) -> None:
        self.target_port = target_port
        self.cut_after = cut_after
        self.cut_connections = cut_connections
        self.connections = 0
        self.cuts = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                index = self.connections
                self.connections += 1
            server = socket.create_connection(("127.0.0.1", self.target_port))
            cut = index < self.cut_connections
            threading.Thread(target=self._pump, args=(client, server, cut), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, cut: bool) -> None:
        sent = 0
        try:
            while chunk := source.recv(16384):
                if cut and sent + len(chunk) >= self.cut_after:
                    with self._lock:
                        self.cuts += 1
                    self._reset(source, sink)
                    return
                sink.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _reset(*sockets: socket.socket) -> None:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()

    def __enter__(self) -> CuttingProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._closing.set()
        self._listener.close()
        self._thread.join(timeout=5)


@contextlib.contextmanager
def cutting_proxy(target_port: int, *, cut_after: int, cut_connections: int) -> Iterator[CuttingProxy]:
    with CuttingProxy(target_port, cut_after=cut_after, cut_connections=cut_connections) as proxy:
        yield proxy

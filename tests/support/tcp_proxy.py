"""A TCP proxy a test can cut and restore, to break a service's broker connection on purpose."""
from __future__ import annotations

import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5672):
        self.target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._open = True
        self._running = True
        self.connections = 0
        self._accept_thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept_thread.start()

    def cut(self) -> None:
        """Drop every connection through the proxy and refuse new ones until restore()."""
        self._open = False
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            for sock in (client, upstream):
                _close(sock)

    def restore(self) -> None:
        self._open = True

    def close(self) -> None:
        """Stop the proxy. The accept loop closes the listener itself: closing a socket under a
        greenthread blocked on it would leave eventlet listening on an fd number that the next
        connection (say, a database's) reuses."""
        self._running = False
        self.cut()
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()  # wake accept()
        except OSError:
            pass
        self._accept_thread.join(5)

    def _accept_loop(self) -> None:
        try:
            self._serve()
        finally:
            _close(self._listener)

    def _serve(self) -> None:
        while self._running:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._running or not self._open:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._pairs.append((client, upstream))
                self.connections += 1
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except (OSError, EOFError):  # eventlet's green sockets raise EOFError on a closed peer
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass

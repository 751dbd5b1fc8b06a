"""A link between sites over TLS: the kernel's publisher (outbox and sync relays) speaks
``amqps://`` — TLS on 5671 by default, the broker's certificate checked against the trusted CAs
and the host name. The test puts a TLS terminator (like stunnel in front of a broker) before the
real RabbitMQ, with a certificate made for ``localhost`` and trusted through ``SSL_CERT_FILE``."""
import socket
import ssl
import subprocess
import threading

import pytest

from shared.publisher import ConfirmedPublisher, OutgoingMessage, PublishError, connection_params
from tests.support.broker import get_all
from tests.support.tcp_proxy import _close


def test_an_amqps_uri_means_tls_on_5671_with_the_host_name_checked():
    params = connection_params("amqps://xinfu-s03:secret@xinfu.example.cn/eldernet-xinfu")
    assert params["host"] == "xinfu.example.cn:5671"
    assert params["ssl"] == {"context": {}, "server_hostname": "xinfu.example.cn"}
    assert "ssl" not in connection_params("amqp://u:p@h/v") and connection_params("amqp://u:p@h/v")["host"] == "h:5672"
    assert connection_params("amqps://u:p@h:15671/v")["host"] == "h:15671"


@pytest.fixture
def certificate(tmp_path):
    cert, key = tmp_path / "broker.pem", tmp_path / "broker.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


class TlsTerminator:
    """TLS in front of the local broker's 5672, as stunnel would be in front of a parent's."""

    def __init__(self, cert: str, key: str):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.handshakes = 0
        self._running = True
        self._accepting = threading.Thread(target=self._serve, daemon=True)
        self._accepting.start()

    def _serve(self):
        # The accept loop closes the listener itself: closed from another greenthread while this
        # one waits in accept(), eventlet would go on listening on an fd number that the next
        # connection (say, a database's) reuses (tests/support/tcp_proxy.py).
        try:
            while True:
                raw, _ = self.listener.accept()
                if not self._running:
                    _close(raw)
                    return
                threading.Thread(target=self._relay, args=(raw,), daemon=True).start()
        finally:
            _close(self.listener)

    def _relay(self, raw):
        try:
            client = self.context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            _close(raw)
            return
        self.handshakes += 1
        upstream = socket.create_connection(("127.0.0.1", 5672))
        back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
        back.start()
        _pump(client, upstream)
        back.join(10)  # each side closed only once neither greenthread reads it any more
        _close(client)
        _close(upstream)

    def close(self):
        self._running = False
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()  # wake accept()
        except OSError:
            pass
        self._accepting.join(5)


def _pump(source, sink):
    """Copy until ``source`` ends, then end ``sink``'s direction (the other pump sees it end)."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except (OSError, EOFError, ssl.SSLError):
        pass
    try:
        sink.shutdown(socket.SHUT_WR)
    except (OSError, ValueError):
        pass


def test_the_publisher_reaches_the_broker_over_tls_and_refuses_an_unknown_certificate(
        certificate, amqp_uri, monkeypatch):
    cert, key = certificate
    terminator = TlsTerminator(cert, key)
    vhost = amqp_uri.rsplit("/", 1)[1]
    uri = f"amqps://guest:guest@localhost:{terminator.port}/{vhost}"
    try:
        untrusting = ConfirmedPublisher(uri, "", queues=[("tls-test", {})])
        with pytest.raises(PublishError, match="(?i)certificate verify failed"):  # a self-made one, not trusted
            untrusting.publish_batch([OutgoingMessage("tls-test", b"{}", {"delivery_mode": 2})])
        untrusting.close()

        monkeypatch.setenv("SSL_CERT_FILE", cert)  # the operator's private CA (docs/deploy.md)
        publisher = ConfirmedPublisher(uri, "", queues=[("tls-test", {})])
        try:
            publisher.publish_batch([OutgoingMessage("tls-test", b'{"over": "tls"}', {"delivery_mode": 2})])
        finally:
            publisher.close()
    finally:
        terminator.close()
    assert terminator.handshakes >= 1
    assert [m.body for m in get_all(amqp_uri, "tls-test")] == [b'{"over": "tls"}']

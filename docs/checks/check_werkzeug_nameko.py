"""Check (a): nameko 2.14.1's testing helpers against the installed Werkzeug.

Runs itself under pytest: an @http service started with nameko's `container_factory` and called
through nameko's `web_session` fixture (which does `from werkzeug.urls import url_join`).

    .venv/bin/python docs/checks/check_werkzeug_nameko.py

Exit status 0 = works with this Werkzeug.
"""
import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402

from nameko.web.handlers import http  # noqa: E402


class PingService:
    name = "ping"

    @http("GET", "/ping")
    def ping(self, request):
        return "pong"


def test_web_session_fixture(container_factory, web_config, web_session):
    container = container_factory(PingService, web_config)
    container.start()
    response = web_session.get("/ping")
    assert response.status_code == 200
    assert response.text == "pong"


def test_werkzeug_url_join_import():
    from werkzeug.urls import url_join  # what nameko.testing.pytest.web_session needs

    assert url_join("http://127.0.0.1:8000/", "/ping") == "http://127.0.0.1:8000/ping"


if __name__ == "__main__":
    from importlib.metadata import version

    import pytest

    print(f"python {sys.version.split()[0]}, nameko {version('nameko')}, werkzeug {version('werkzeug')}, "
          f"eventlet {version('eventlet')}")
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider", "--suppress-nameko-eventlet-notification"]))

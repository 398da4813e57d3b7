"""The server: waitress (pure Python, runs on Windows too) on the address asked for, the
browser opened on it. Office mode refuses an address other machines can reach until the
office password is set."""

from __future__ import annotations

import threading
import webbrowser
from typing import Callable

from ..errors import InputError
from .. import limits
from .app import LOOPBACK_NAMES, Settings, create_app

THREADS = 8  # requests served at once; the checking itself runs in the bounded pool (work.py)


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_NAMES or host.startswith("127.")


def make_server(settings: Settings, port: int = 0):
    """The waitress server with the app (port 0: a free one); not yet running."""
    from waitress.server import create_server

    if settings.mode == "office":
        from .store import Store

        if not is_loopback(settings.host) and not Store(settings.office_dir).has_password:
            raise InputError(f"办公室模式要在 {settings.host} 上对其他电脑开放，必须先设置管理员密码",
                             f"运行 xlreport serve --office {settings.office_dir} --set-password")
    app = create_app(settings)
    # waitress refuses what is far too large before Flask reads it; Flask answers the rest in Chinese (413)
    server = create_server(app, host=settings.host, port=port, threads=THREADS, ident="xlreport",
                           max_request_body_size=limits.UPLOAD_BYTES.value * 2, clear_untrusted_proxy_headers=True)
    server.xlreport_app = app  # waitress keeps only its wrapped app; stop() needs ours
    return server


def stop(server) -> None:
    """The server closed, the app's pool shut down and its temporary files removed."""
    server.close()
    server.xlreport_app.extensions["xlreport.work"].close()


def address(settings: Settings, server) -> str:
    host = settings.host
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host in ("::", "::1") else host)
    return f"http://{shown}:{server.effective_port}/"


def run(settings: Settings, port: int = 0, open_browser: bool = True, announce: Callable[[str], None] = print) -> None:
    server = make_server(settings, port)
    url = address(settings, server)
    announce(url)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, (url,)).start()
    try:
        server.run()
    finally:
        stop(server)

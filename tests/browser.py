"""A small headless-Chromium driver for tests, over the DevTools protocol.

Why DevTools rather than ``--screenshot``/``--dump-dom``: only the protocol
tells us every request the page made (so we can prove nothing left the
file) and every console message and uncaught exception, and lets us set the
viewport and print to PDF. ``websocket-client`` (dev extra) carries the
messages; the browser is Debian's ``chromium`` (``.ci/run`` installs it).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-port=0", "--remote-allow-origins=*"]
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_browser() -> str | None:
    """A Chromium binary: $SALESIM_BROWSER, else the first of NAMES on PATH."""
    env = os.environ.get("SALESIM_BROWSER")
    if env:
        return env if shutil.which(env) or Path(env).is_file() else None
    return next((p for p in map(shutil.which, NAMES) if p), None)


@dataclass
class PageLoad:
    """What happened while a page loaded."""

    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    screenshot_png: bytes = b""
    pdf: bytes = b""
    title: str = ""
    text_length: int = 0
    scroll_width: int = 0


class Browser:
    """One headless Chromium process with a fresh profile; use as a context manager."""

    def __init__(self, binary: str, timeout_s: float = 60.0):
        self.binary, self.timeout_s = binary, timeout_s
        self.profile = tempfile.mkdtemp(prefix="salesim-chromium-")
        self.proc: subprocess.Popen | None = None
        self.ws = None
        self._id = 0
        self.events: list[dict] = []

    def __enter__(self) -> Browser:
        self.proc = subprocess.Popen([self.binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout_s
        while not (port_file.is_file() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.binary} did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as fh:
            targets = json.load(fh)
        page = next(t for t in targets if t.get("type") == "page")
        import websocket

        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=self.timeout_s,
                                              suppress_origin=True)
        return self

    def __exit__(self, *exc) -> None:
        if self.ws is not None:
            self.ws.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)

    def send(self, method: str, **params) -> dict:
        """Call a DevTools method; events that arrive meanwhile are kept in ``events``."""
        self._id += 1
        my = self._id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, event: str) -> dict:
        for i, e in enumerate(self.events):
            if e["method"] == event:
                return self.events.pop(i)
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("method") == event:
                return msg
            if "method" in msg:
                self.events.append(msg)

    def load(self, path: Path | str, width: int = 1280, height: int = 900, whole: bool = True) -> PageLoad:
        """Open ``path`` (a file, or a URL as text); record requests and console errors; screenshot
        the full page and print it (``whole=False``: the first screen only, no print)."""
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)
        url = path if isinstance(path, str) else path.resolve().as_uri()
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.send("Runtime.evaluate", expression="new Promise(r => setTimeout(r, 300))", awaitPromise=True)
        res = PageLoad(url=url)
        info = self.send("Runtime.evaluate", returnByValue=True, expression=(
            "({title: document.title, text: document.body.innerText.length,"
            " width: document.documentElement.scrollWidth})"))["result"]["value"]
        res.title, res.text_length, res.scroll_width = info["title"], info["text"], info["width"]
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=whole)
        res.screenshot_png = base64.b64decode(shot["data"])
        if whole:
            res.pdf = base64.b64decode(self.send("Page.printToPDF", printBackground=False)["data"])
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Network.requestWillBeSent":
                res.requests.append(p["request"]["url"])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                res.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif m == "Runtime.exceptionThrown":
                res.console_errors.append(p["exceptionDetails"].get("text", "exception"))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                res.console_errors.append(p["entry"].get("text", ""))
        self.events.clear()
        return res


def blankness(png: bytes) -> tuple[float, float]:
    """(share of pixels that are not near-white, standard deviation of grey levels) of a PNG."""
    import io

    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    grey = img.mean(axis=2)
    return float((grey < 0.9).mean()), float(grey.std())

"""A small DevTools-protocol client: start headless Chromium, drive its tabs, take screenshots."""

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from itertools import count
from pathlib import Path
from typing import Any

import websocket

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
]
SETTLE_SECONDS = 1.0
"""Streamlit animates the sidebar and fades stale elements; a screenshot waits this long."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not come up within {timeout} s") from None
            time.sleep(0.3)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _js_string(value: str) -> str:
    return json.dumps(value)


class Tab:
    """One page of the browser, driven over its DevTools websocket."""

    def __init__(self, debugger_url: str) -> None:
        self.ws = websocket.create_connection(debugger_url, timeout=60)
        self._ids = count(1)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def js(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def goto(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    @property
    def url(self) -> str:
        return str(self.js("location.href"))

    def text(self) -> str:
        return str(self.js("document.body ? document.body.innerText : ''") or "")

    def main_text(self) -> str:
        """The page's own content: the main area, without the sidebar and the navigation."""
        found = self.js("(document.querySelector('[data-testid=stMain]') || {}).innerText")
        return str(found or "")

    def wait_for_text(self, needle: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            page = self.text()
            if needle in page:
                return page
            time.sleep(0.1)
        raise TimeoutError(f"{needle!r} did not appear; the page says: {self.text()[-700:]!r}")

    def wait_for(self, condition: str, timeout: float = 30) -> None:
        """Wait until the JavaScript expression `condition` is true on the page."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.js(condition):
                return
            time.sleep(0.1)
        raise TimeoutError(f"{condition!r} stayed false; the page says: {self.text()[-700:]!r}")

    def messages(self) -> list[str]:
        """The text of every chat bubble, in order."""
        found = self.js(
            "[...document.querySelectorAll('[data-testid=stChatMessage]')].map(m => m.innerText)"
        )
        return [str(m) for m in found or []]

    def wait_for_messages(self, at_least: int, timeout: float = 30) -> None:
        self.wait_for(
            f"document.querySelectorAll('[data-testid=\"stChatMessage\"]').length >= {at_least}",
            timeout,
        )

    def _click_first(
        self, selector: str, label: str, *, exact: bool = True, timeout: float = 15
    ) -> None:
        """Click the first `selector` element whose text is `label` (or ends with it), once the
        page shows one (a page still being drawn has not got it yet)."""
        test = "t === want" if exact else "t.endsWith(want)"
        click = (
            f"(() => {{ const want = {_js_string(label)};"
            f" const e = [...document.querySelectorAll({_js_string(selector)})]"
            f".find(e => {{ const t = e.innerText.trim(); return {test}; }});"
            " if (e && !e.disabled) { e.click(); return true; } return false; })()"
        )
        deadline = time.monotonic() + timeout
        while not self.js(click):
            if time.monotonic() > deadline:
                raise LookupError(f"no {selector} {label!r}; the page says {self.text()[-700:]!r}")
            time.sleep(0.1)

    def click_button(self, label: str) -> None:
        self._click_first("button", label)

    def click_label(self, label: str) -> None:
        """Click a radio option (or checkbox) by its text, and wait until it shows as chosen."""
        self._click_first("label", label)
        self.wait_for(
            "[...document.querySelectorAll('label')].some(l => l.innerText.trim() === "
            f"{_js_string(label)} && l.querySelector('input')?.checked)",
            10,
        )

    def click_nav(self, title: str) -> None:
        """Click a page of the app's navigation by its title."""
        self._click_first("[data-testid=stTopNavLink], [data-testid=stSidebarNavLink]", title,
                          exact=False)  # fmt: skip

    def choose(self, select_label: str, option: str) -> None:
        """Pick `option` in the select box labelled `select_label`, as a mouse would."""
        box = (
            "[...document.querySelectorAll('[data-testid=stSelectbox]')]"
            f".find(b => b.innerText.trim().startsWith({_js_string(select_label)}))"
        )
        self.mouse_click(f"{box}.querySelector('button')")
        self.wait_for("document.querySelectorAll('[role=option]').length > 0")
        self.mouse_click(
            "[...document.querySelectorAll('[role=option]')]"
            f".find(o => o.innerText.trim() === {_js_string(option)})"
        )
        self.wait_for(f"{box}.querySelector('input').value === {_js_string(option)}")

    def mouse_click(self, element: str) -> None:
        """Press and release the mouse on the middle of the element the expression finds."""
        point = self.js(
            f"(() => {{ const e = {element}; if (!e) return null; e.scrollIntoView({{block:"
            " 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        if not point:
            raise LookupError(f"nothing found by {element}")
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=point[0],
                y=point[1],
                button="left",
                clickCount=1,
            )

    def type_chat(self, message: str) -> None:
        selector = _js_string('textarea[data-testid="stChatInputTextArea"]')
        self.wait_for(f"!!document.querySelector({selector}) && !document.querySelector("
                      f"{selector}).disabled")  # fmt: skip
        self.js(f"document.querySelector({selector}).focus()")
        self.send("Input.insertText", text=message)
        for kind in ("keyDown", "keyUp"):
            self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                text="\r" if kind == "keyDown" else "",
            )

    def download(self, button: str, folder: Path, timeout: float = 30) -> Path:
        """Click the download button labelled `button` and return the file it saved in `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        before = set(folder.iterdir())
        self.send("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(folder))
        self.click_button(button)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = [p for p in set(folder.iterdir()) - before if p.suffix != ".crdownload"]
            if new:
                return new[0]
            time.sleep(0.1)
        raise TimeoutError(f"{button!r} saved nothing in {folder} within {timeout} s")

    def screenshot(self, path: Path, scroll_to: str | None = None) -> None:
        """The viewport as a PNG (Streamlit scrolls inside the page, so the viewport is what a
        person sees), first scrolled to the heading `scroll_to` when given."""
        if scroll_to is not None:
            self.js(
                "[...document.querySelectorAll('h1, h2, h3')]"
                f".find(h => h.innerText.trim() === {_js_string(scroll_to)})"
                "?.scrollIntoView({block: 'start'})"
            )
        time.sleep(SETTLE_SECONDS)
        # Not captureBeyondViewport: its resize makes Streamlit animate the sidebar mid-shot.
        data = self.send("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))

    def close(self) -> None:
        self.ws.close()


class Browser(Tab):
    """One headless Chromium; itself its first tab, and more with `new_tab`."""

    def __init__(self, profile: Path) -> None:
        binary = chromium_path()
        if binary is None:
            raise FileNotFoundError("chromium is not installed")
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--remote-debugging-port={self.port}",
             f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_http(f"http://127.0.0.1:{self.port}/json/version", timeout=30)
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=5) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        super().__init__(page["webSocketDebuggerUrl"])

    def new_tab(self, url: str) -> Tab:
        """A fresh tab at `url`: a new browser-session of the app, sharing nothing with the others
        but the browser."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/json/new?{url}", method="PUT"
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            target = json.load(r)
        return Tab(target["webSocketDebuggerUrl"])

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)

"""Load a report in headless Chromium and report what a reader's browser would see.

Used by the browser tests (and available to users) to prove that a report renders offline
with no console errors and with every expected section. It drives the system Chromium over
the DevTools protocol on a pipe (see :mod:`babelscope.report._cdp`): no Python dependency, no
browser download, no network port.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babelscope.errors import BabelscopeError
from babelscope.report._cdp import CDPError, PipeBrowser, read_tail

__all__ = ["BrowserCheck", "ChromiumNotFoundError", "check_in_chromium", "find_chromium"]

_DEFAULT_CHROMIUM = "/usr/bin/chromium"
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Without the background-networking switches Chromium keeps dialling out (component updates,
# variations, sync), which on a closed network ends in refused connections and slow starts.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--password-store=basic",
    "--use-mock-keychain",
)
_PROBE = """JSON.stringify({
  title: document.title,
  sections: Array.from(document.querySelectorAll("[data-section]"), (e) => e.id),
  brokenImages: Array.from(document.images).filter((i) => !i.complete || i.naturalWidth === 0)
    .map((i) => (i.alt || i.src).slice(0, 80)),
})"""
_MAX_SCREENSHOT_HEIGHT = 16_000


class ChromiumNotFoundError(BabelscopeError):
    """No Chromium/Chrome binary to render the report with."""


@dataclass(frozen=True)
class BrowserCheck:
    """What headless Chromium saw when it loaded the page.

    ``console_errors`` holds uncaught exceptions, ``console.error``/``console.assert`` calls and
    browser-logged errors (failed loads, Content-Security-Policy violations); ``external_requests``
    every fetch that was not ``file:`` or ``data:`` (a self-contained report has none);
    ``dialogs`` every ``alert``/``confirm``/``prompt`` the page opened (an injected
    ``<script>alert(1)</script>`` that ran would show up here; dialogs are dismissed so they
    cannot block the check).
    """

    url: str
    title: str
    section_ids: list[str]
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    screenshot: bytes | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when the page loaded cleanly and offline."""
        return not (
            self.console_errors or self.external_requests or self.broken_images or self.dialogs
        )


def _executable(candidate: str | os.PathLike[str]) -> bool:
    return Path(candidate).is_file() and os.access(candidate, os.X_OK)


def find_chromium(binary: str | os.PathLike[str] | None = None) -> str:
    """The browser to use: ``binary``, else ``$BABELSCOPE_CHROMIUM``, ``/usr/bin/chromium``, PATH.

    A browser named explicitly (argument or environment) must exist: silently falling back to
    another one would hide a typo.
    """
    explicit = binary if binary is not None else os.environ.get("BABELSCOPE_CHROMIUM")
    if explicit:
        if _executable(explicit):
            return str(explicit)
        raise ChromiumNotFoundError(
            f"the browser {str(explicit)!r} does not exist or is not executable",
            fix="pass the path of a Chromium/Chrome binary, or unset BABELSCOPE_CHROMIUM",
        )
    if _executable(_DEFAULT_CHROMIUM):
        return _DEFAULT_CHROMIUM
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumNotFoundError(
        f"Chromium was not found ({_DEFAULT_CHROMIUM}, or {', '.join(_CANDIDATES)} on PATH)",
        fix="install it (Debian/Ubuntu: apt-get install chromium) or set BABELSCOPE_CHROMIUM",
    )


def _console_text(params: dict[str, Any]) -> str:
    parts = []
    for arg in params.get("args", []):
        parts.append(str(arg.get("value", arg.get("description", arg.get("type", "")))))
    return " ".join(parts)


def _exception_text(details: dict[str, Any]) -> str:
    exception = details.get("exception", {})
    text = exception.get("description") or details.get("text", "exception")
    where = details.get("url", "")
    return f"{text} ({where}:{details.get('lineNumber', 0) + 1})" if where else str(text)


@dataclass
class _Seen:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def _classify(events: list[dict[str, Any]], session: str) -> _Seen:
    """Sort the page's events into errors, warnings, external requests and dialogs."""
    seen = _Seen()
    errors, warnings, requests = seen.errors, seen.warnings, seen.requests
    for event in events:
        if event.get("sessionId") != session:
            continue
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append("uncaught " + _exception_text(params.get("exceptionDetails", {})))
        elif method == "Runtime.consoleAPICalled":
            kind = params.get("type")
            if kind in ("error", "assert"):
                errors.append(f"console.{kind}: {_console_text(params)}")
            elif kind == "warning":
                warnings.append(f"console.warn: {_console_text(params)}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            text = f"{entry.get('source', 'browser')}: {entry.get('text', '')}"
            if entry.get("url"):
                text += f" ({entry['url']})"
            if entry.get("level") == "error":
                errors.append(text)
            elif entry.get("level") == "warning":
                warnings.append(text)
        elif method == "Network.requestWillBeSent":
            url = str(params.get("request", {}).get("url", ""))
            if not url.startswith(("file:", "data:", "about:")):
                requests.append(url)
        elif method == "Page.javascriptDialogOpening":
            seen.dialogs.append(f"{params.get('type', 'dialog')}: {params.get('message', '')}")
    return seen


def _screenshot(browser: PipeBrowser, session: str, full_page: bool) -> bytes:
    params: dict[str, Any] = {"format": "png"}
    if full_page:
        size = browser.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
        height = min(float(size["height"]), _MAX_SCREENSHOT_HEIGHT)
        params.update(
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": float(size["width"]), "height": height, "scale": 1},
        )
    shot = browser.call("Page.captureScreenshot", params, session)
    return base64.b64decode(shot["data"])


def check_in_chromium(
    html_path: str | os.PathLike[str],
    *,
    chromium: str | os.PathLike[str] | None = None,
    screenshot: bool = False,
    full_page: bool = True,
    viewport: tuple[int, int] = (1280, 900),
    settle_s: float = 0.3,
    timeout_s: float = 60.0,
) -> BrowserCheck:
    """Open ``html_path`` in a fresh headless Chromium profile and collect what happened.

    Waits for the load event plus ``settle_s`` (late errors), then reads the title and the ids
    of all ``[data-section]`` elements. With ``screenshot=True`` the result carries a PNG of the
    page (the whole page when ``full_page``, capped at 16,000 px). Raises
    :class:`ChromiumNotFoundError` when no browser is installed and ``RuntimeError`` when the
    browser fails or times out (with the end of its log).
    """
    path = Path(html_path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no such report: {path}")
    binary = find_chromium(chromium)
    with tempfile.TemporaryDirectory(
        prefix="babelscope-chromium-", ignore_cleanup_errors=True
    ) as tmp:
        log_path = Path(tmp) / "chromium.log"
        flags = [*CHROMIUM_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}"]
        with log_path.open("wb") as log, PipeBrowser(binary, flags, stderr=log) as browser:
            try:
                return _run(
                    browser,
                    path.as_uri(),
                    screenshot=screenshot,
                    full_page=full_page,
                    viewport=viewport,
                    settle_s=settle_s,
                    timeout_s=timeout_s,
                )
            except (CDPError, TimeoutError) as error:
                raise RuntimeError(
                    f"headless Chromium failed on {path}: {error}\n"
                    f"--- end of the browser log ---\n{read_tail(log_path)}"
                ) from error


def _run(
    browser: PipeBrowser,
    url: str,
    *,
    screenshot: bool,
    full_page: bool,
    viewport: tuple[int, int],
    settle_s: float,
    timeout_s: float,
) -> BrowserCheck:
    target = browser.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout_s)
    attached = browser.call(
        "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
    )
    session = str(attached["sessionId"])

    def dismiss_dialogs(event: dict[str, Any]) -> None:
        if event["method"] == "Page.javascriptDialogOpening" and event.get("sessionId") == session:
            browser.send("Page.handleJavaScriptDialog", {"accept": False}, session)

    browser.on_event = dismiss_dialogs
    for domain in ("Runtime", "Log", "Page", "Network"):
        browser.call(f"{domain}.enable", session=session)
    width, height = viewport
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session,
    )
    navigation = browser.call("Page.navigate", {"url": url}, session, timeout=timeout_s)
    if navigation.get("errorText"):
        raise CDPError(f"navigation failed: {navigation['errorText']}")
    browser.wait_for_event("Page.loadEventFired", session, timeout=timeout_s)
    browser.drain(settle_s)
    probe = browser.call("Runtime.evaluate", {"expression": _PROBE, "returnByValue": True}, session)
    seen = json.loads(probe["result"]["value"])
    shot = _screenshot(browser, session, full_page) if screenshot else None
    events = _classify(browser.events, session)
    return BrowserCheck(
        url=url,
        title=str(seen["title"]),
        section_ids=[str(s) for s in seen["sections"]],
        console_errors=events.errors,
        console_warnings=events.warnings,
        external_requests=events.requests,
        broken_images=[str(b) for b in seen["brokenImages"]],
        dialogs=events.dialogs,
        screenshot=shot,
    )

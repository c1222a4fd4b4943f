"""Load a report in headless Chromium and report what a reader's browser would see.

Used by the browser tests (and available to users) to prove that a report renders offline
with no console errors and with every expected section. It drives the system Chromium with
Selenium through the system ChromeDriver (Debian: ``apt-get install chromium chromium-driver``),
both named by path, so Selenium Manager never looks for (or downloads) a browser or a driver.

What is checked, and how:

- console errors and warnings: ChromeDriver's ``browser`` log (``goog:loggingPrefs``), which
  holds uncaught exceptions, ``console.error``/``console.assert``, failed loads and
  Content-Security-Policy violations;
- network requests: ChromeDriver's ``performance`` log, i.e. the browser's own
  ``Network.requestWillBeSent`` events; every URL that is not ``file:``, ``data:`` or
  ``about:`` counts (a self-contained report makes none);
- dialogs: ``alert``/``confirm``/``prompt`` are replaced, before any script of the page runs,
  by recorders that return at once, so an injected ``alert(1)`` that ran is listed and cannot
  block the check; the page's CSP does not apply to that recorder, only to the page's scripts;
- broken images, the title and the ``[data-section]`` ids: read from the DOM after the load
  event and ``settle_s`` more (late errors).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babelscope.errors import BabelscopeError

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

__all__ = [
    "BrowserCheck",
    "ChromiumNotFoundError",
    "check_in_chromium",
    "find_chromedriver",
    "find_chromium",
    "open_chromium",
    "words_broken_in_tables",
]

_DEFAULT_CHROMIUM = "/usr/bin/chromium"
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_DEFAULT_DRIVER = "/usr/bin/chromedriver"
# Without the background-networking switches Chromium keeps dialling out (component updates,
# variations, sync), which on a closed network ends in refused connections and slow starts.
CHROMIUM_FLAGS = (
    "--headless=new",
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
_PROBE = """return {
  title: document.title,
  sections: Array.from(document.querySelectorAll("[data-section]"), (e) => e.id),
  brokenImages: Array.from(document.images).filter((i) => !i.complete || i.naturalWidth === 0)
    .map((i) => (i.alt || i.src).slice(0, 80)),
  dialogs: window.__babelscopeDialogs || [],
  height: Math.ceil(document.documentElement.scrollHeight),
};"""
# Runs before any script of the page (and outside its CSP): dialogs are recorded, not shown.
_RECORD_DIALOGS = """(() => {
  const seen = [];
  Object.defineProperty(window, "__babelscopeDialogs", { value: seen });
  for (const kind of ["alert", "confirm", "prompt"]) {
    window[kind] = (message) => { seen.push(kind + ": " + String(message ?? "")); return null; };
  }
})();"""
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


def _find_program(
    explicit: str | os.PathLike[str] | None,
    *,
    what: str,
    env: str,
    default: str,
    names: tuple[str, ...],
    package: str,
) -> str:
    """``explicit`` (an argument, else ``$env``), else ``default``, else the first of ``names``
    on PATH. A program named explicitly must exist: silently falling back to another one would
    hide a typo. Nothing is ever downloaded: an offline machine must work."""
    named = explicit if explicit is not None else os.environ.get(env)
    if named:
        if _executable(named):
            return str(named)
        raise ChromiumNotFoundError(
            f"the {what} {str(named)!r} does not exist or is not executable",
            fix=f"pass the path of {what}, or unset {env}",
        )
    if _executable(default):
        return default
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumNotFoundError(
        f"{what} was not found ({default}, or {', '.join(names)} on PATH)",
        fix=f"install it (Debian/Ubuntu: apt-get install {package}) or set {env}",
    )


def find_chromium(binary: str | os.PathLike[str] | None = None) -> str:
    """The browser to use: ``binary``, else ``$BABELSCOPE_CHROMIUM``, ``/usr/bin/chromium``,
    PATH."""
    return _find_program(
        binary,
        what="Chromium",
        env="BABELSCOPE_CHROMIUM",
        default=_DEFAULT_CHROMIUM,
        names=_CANDIDATES,
        package="chromium",
    )


def find_chromedriver(driver: str | os.PathLike[str] | None = None) -> str:
    """The ChromeDriver to use: ``driver``, else ``$BABELSCOPE_CHROMEDRIVER``,
    ``/usr/bin/chromedriver``, PATH."""
    return _find_program(
        driver,
        what="ChromeDriver",
        env="BABELSCOPE_CHROMEDRIVER",
        default=_DEFAULT_DRIVER,
        names=("chromedriver",),
        package="chromium-driver",
    )


def open_chromium(
    *,
    chromium: str | os.PathLike[str] | None = None,
    chromedriver: str | os.PathLike[str] | None = None,
    viewport: tuple[int, int] = (1280, 900),
    profile: str | os.PathLike[str],
    log_path: str | os.PathLike[str] | None = None,
) -> WebDriver:
    """A Selenium driver for a fresh headless Chromium profile in ``profile``, logging the
    browser console and network events; the caller quits it. Dialogs are recorded instead of
    shown (``window.__babelscopeDialogs``)."""
    binary = find_chromium(chromium)
    driver_path = find_chromedriver(chromedriver)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        raise BabelscopeError(
            "the browser check needs Selenium",
            fix="pip install 'selenium>=4.20' (it is in babelscope's dev extra)",
        ) from error
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    width, height = viewport
    for flag in (*CHROMIUM_FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    options.add_experimental_option(
        "perfLoggingPrefs", {"enableNetwork": True, "enablePage": False}
    )
    options.unhandled_prompt_behavior = "dismiss"  # a backstop; the recorder answers first
    service = Service(executable_path=driver_path, log_output=os.fspath(log_path or os.devnull))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _RECORD_DIALOGS})
    except Exception:
        driver.quit()
        raise
    return driver


def _classify_console(entries: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The browser log split into errors (SEVERE) and warnings."""
    errors: list[str] = []
    warnings: list[str] = []
    for entry in entries:
        text = f"{entry.get('source', 'browser')}: {entry.get('message', '')}"
        if entry.get("level") == "SEVERE":
            errors.append(text)
        elif entry.get("level") == "WARNING":
            warnings.append(text)
    return errors, warnings


def _requests(entries: list[dict[str, Any]], page: str, url: str) -> list[str]:
    """Every URL asked for from the moment the tab ``page`` requested the report ``url``, from
    the performance log. What the browser loaded before (its new-tab page in the same tab) and
    in other targets is not the report's doing."""
    urls: list[str] = []
    started = False
    for entry in entries:
        logged = json.loads(entry["message"])
        message = logged.get("message", {})
        if logged.get("webview") != page or message.get("method") != "Network.requestWillBeSent":
            continue
        requested = str(message.get("params", {}).get("request", {}).get("url", ""))
        started = started or requested == url
        if started and not requested.startswith(("file:", "data:", "about:")):
            urls.append(requested)
    if not started:  # an empty list must mean "no request", never "nothing was logged"
        raise RuntimeError(f"the browser's network log never showed the request for {url}")
    return urls


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        return path.read_bytes()[-limit:].decode("utf-8", "replace")
    except OSError:
        return ""


def check_in_chromium(
    html_path: str | os.PathLike[str],
    *,
    chromium: str | os.PathLike[str] | None = None,
    chromedriver: str | os.PathLike[str] | None = None,
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
    :class:`ChromiumNotFoundError` when no browser or driver is installed and ``RuntimeError``
    when the browser fails or the load event does not come within ``timeout_s``.
    """
    from selenium.common.exceptions import TimeoutException, WebDriverException

    path = Path(html_path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no such report: {path}")
    url = path.as_uri()
    with tempfile.TemporaryDirectory(
        prefix="babelscope-chromium-", ignore_cleanup_errors=True
    ) as tmp:
        log_path = Path(tmp) / "chromedriver.log"
        driver = open_chromium(
            chromium=chromium,
            chromedriver=chromedriver,
            viewport=viewport,
            profile=Path(tmp) / "profile",
            log_path=log_path,
        )
        try:
            driver.set_page_load_timeout(timeout_s)
            driver.set_script_timeout(timeout_s)
            try:
                driver.get(url)
            except TimeoutException as error:
                raise RuntimeError(
                    f"headless Chromium failed on {path}: the page's load event did not come "
                    f"within {timeout_s:g} s (a script that never returns?)"
                ) from error
            time.sleep(settle_s)
            seen: dict[str, Any] = driver.execute_script(_PROBE)
            shot = _screenshot(driver, viewport, int(seen["height"])) if screenshot else None
            if screenshot and not full_page:
                shot = driver.get_screenshot_as_png()
            errors, warnings = _classify_console(driver.get_log("browser"))
            requests = _requests(driver.get_log("performance"), driver.current_window_handle, url)
        except WebDriverException as error:
            raise RuntimeError(
                f"headless Chromium failed on {path}: {error.msg}\n"
                f"--- end of the driver log ---\n{_tail(log_path)}"
            ) from error
        finally:
            driver.quit()
    return BrowserCheck(
        url=url,
        title=str(seen["title"]),
        section_ids=[str(s) for s in seen["sections"]],
        console_errors=errors,
        console_warnings=warnings,
        external_requests=requests,
        broken_images=[str(b) for b in seen["brokenImages"]],
        dialogs=[str(d) for d in seen["dialogs"]],
        screenshot=shot,
    )


def _screenshot(driver: WebDriver, viewport: tuple[int, int], height: int) -> bytes:
    """The whole page: the window is made as tall as the page (capped), then captured."""
    width, _ = viewport
    driver.set_window_size(width, min(max(height, viewport[1]), _MAX_SCREENSHOT_HEIGHT))
    return driver.get_screenshot_as_png()


# Every word of every visible cell of a data table, as a DOM Range: a word the browser wrapped
# inside itself has line boxes at two heights. A word is a run of letters, marks, digits and
# underscores (so ``fra_Latn`` is one word); a line may still break after ``-`` or ``/`` in a
# path, as typography allows, and between the characters of scripts written without spaces
# (Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan), which are therefore not counted.
_BROKEN_WORDS = r"""
const UNSPACED = "\\p{sc=Han}\\p{sc=Hiragana}\\p{sc=Katakana}\\p{sc=Thai}\\p{sc=Lao}"
  + "\\p{sc=Khmer}\\p{sc=Myanmar}\\p{sc=Tibetan}";
const WORD = new RegExp(`(?:(?![${UNSPACED}])[\\p{L}\\p{M}\\p{N}_])+`, "gu");
const broken = [];
for (const cell of document.querySelectorAll(".table-wrap table :is(th, td)")) {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.data.matchAll(WORD)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
}
return broken;"""


def words_broken_in_tables(
    html_path: str | os.PathLike[str],
    widths: tuple[int, ...] = (1400, 800),
    *,
    chromium: str | os.PathLike[str] | None = None,
    chromedriver: str | os.PathLike[str] | None = None,
) -> dict[int, list[str]]:
    """Per viewport width, every word of a data-table cell that the browser wrapped *inside*
    the word (``tran / slat / ion``); empty lists when every cell wraps between words only
    (a word: letters, digits and ``_``; see ``_BROKEN_WORDS``).
    Collapsed ``<details>`` text is not laid out and so not measured; its summary is."""
    path = Path(html_path).resolve()
    found: dict[int, list[str]] = {}
    with tempfile.TemporaryDirectory(
        prefix="babelscope-chromium-", ignore_cleanup_errors=True
    ) as tmp:
        for width in widths:
            driver = open_chromium(
                chromium=chromium,
                chromedriver=chromedriver,
                viewport=(width, 900),
                profile=Path(tmp) / f"profile-{width}",
            )
            try:
                driver.get(path.as_uri())
                inner = int(driver.execute_script("return window.innerWidth;"))
                if inner != width:
                    raise RuntimeError(f"asked for a {width} px viewport, got {inner} px")
                found[width] = [str(word) for word in driver.execute_script(_BROKEN_WORDS)]
            finally:
                driver.quit()
    return found

"""The inspector page in a real browser: Debian's headless Chromium driven by Selenium through
Debian's chromedriver, on loopback (docs/inspector.md). One session walks the issue's list: two
clients, their messages in order with the integration answers, a refused signature and its
canonical-request diff, a message sent from the page, a close from the page and its $disconnect,
an exported session replayed by `wsgate replay`, and a `<script>` message shown as text. Under a
PostToConnection flood the page says its live view is thinned, and Pause shows every entry.

Screenshots of the main views are written to the test's tmp dir, and to
$WSGATE_INSPECTOR_SCREENSHOTS when set (docs/ uses them)."""
import json
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from selenium import webdriver
from websocket import ABNF
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from wsgatekit import mgmt, wsclient
from wsgatekit.inspector import flood_pushes
from wsgatekit.server import wsgate_binary

SECRET = "inspector-secret-0123456789"


@pytest.fixture
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--no-first-run", "--disable-extensions"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_page_load_timeout(15)
    try:
        yield driver
    finally:
        driver.quit()


def shoot(driver, tmp_path, name):
    driver.save_screenshot(str(tmp_path / name))
    out = os.environ.get("WSGATE_INSPECTOR_SCREENSHOTS")
    if out:
        shutil.copy(tmp_path / name, Path(out) / name)


def wait(driver, fn, what, timeout=10):
    return WebDriverWait(driver, timeout).until(lambda d: fn(d), message=f"waiting for {what}")


def entries(driver, kind=None):
    sel = "#timeline > li" + (f'[data-kind="{kind}"]' if kind else "")
    return driver.find_elements(By.CSS_SELECTOR, sel)


def summary_texts(driver, kind):
    return [li.find_element(By.CSS_SELECTOR, ".summary").text for li in entries(driver, kind)]


def test_inspector_page(browser, wsgate, backend, open_client, tmp_path, unused_port):
    backend.set_answer("$default", 200, json.dumps({"statusCode": 200, "body": "answered"}).encode())
    server = wsgate("--backend", backend.url("/events"), "--auth", "strict", "--test-control",
                    "--credentials", f"AKIDINSPECT:{SECRET}")
    browser.get(server.http_url + "/_wsgate/")
    wait(browser, lambda d: d.find_element(By.ID, "status").text == "live", "the live stream")

    # two clients, messages in order, each with its integration answer
    ws_a, con_a = open_client(server, backend, query="user=alice")
    ws_b, con_b = open_client(server, backend, query="user=bob")
    a, b = con_a.context["connectionId"], con_b.context["connectionId"]
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, f'.conn-button[data-conn="{a}"]')) == 1 and
         len(d.find_elements(By.CSS_SELECTOR, f'.conn-button[data-conn="{b}"]')) == 1, "both connections listed")
    sent = [(ws_a, "hello from A"), (ws_b, "hello from B"), (ws_a, "<script>window.__pwned=1</script><b>bold?</b>")]
    for ws, text in sent:
        ws.send(text)
        backend.wait_for(lambda r, t=text: r.route_key == "$default" and r.event.get("body") == t)
    wait(browser, lambda d: len(entries(d, "answer")) >= 5, "the answers")   # 2 $connect + 3 $default
    ins = [t for t in summary_texts(browser, "frame") if not t.startswith("(")]
    assert ins == [t for _, t in sent]
    answers = summary_texts(browser, "answer")
    assert sum(1 for t in answers if t.startswith("$default: 200") and "answered" in t) == 3, answers
    # order on the page: each frame is followed by its event, then its answer
    kinds = [li.get_attribute("data-kind") for li in entries(browser)]
    assert kinds.index("frame") < kinds.index("call", kinds.index("frame")) < kinds.index("answer", kinds.index("frame"))
    # the <script> message is text, not markup
    assert browser.execute_script("return window.__pwned") is None
    assert browser.execute_script("return document.querySelectorAll('#timeline script, #timeline b').length") == 0
    assert "<script>window.__pwned=1</script><b>bold?</b>" in ins[2]
    shoot(browser, tmp_path, "inspector-timeline.png")

    # a refused signature: the canonical request wsgate computed, and the diff with the SDK's
    resp = mgmt.raw_request(server.port, "POST", mgmt.connection_path(a), b"pushed",
                            credentials=("AKIDINSPECT", "a-wrong-secret"))
    assert resp.status == 403
    li = wait(browser, lambda d: (entries(d, "mgmt") or [None])[-1], "the refused @connections call")
    assert "403 InvalidSignatureException" in li.find_element(By.CSS_SELECTOR, ".summary").text
    canonical = li.find_element(By.CSS_SELECTOR, "pre.canonical").text
    assert canonical.startswith("POST\n/local/%40connections/")
    assert "host;x-amz-date" in li.find_element(By.CSS_SELECTOR, "pre.client").text
    box = li.find_element(By.CSS_SELECTOR, "textarea.client-canonical")
    box.send_keys(canonical)
    li.find_element(By.CSS_SELECTOR, "button.compare").click()
    assert "identical" in li.find_element(By.CSS_SELECTOR, ".verdict").text
    # an SDK that signed another path: the differing line is shown on both sides
    box.clear()
    box.send_keys(canonical.replace("%40connections", "@connections"))
    li.find_element(By.CSS_SELECTOR, "button.compare").click()
    assert "differ" in li.find_element(By.CSS_SELECTOR, ".verdict").text
    assert li.find_element(By.CSS_SELECTOR, ".diff .theirs").text.startswith("- /local/@connections/")
    assert li.find_element(By.CSS_SELECTOR, ".diff .ours").text.startswith("+ /local/%40connections/")
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", li)
    shoot(browser, tmp_path, "inspector-signature.png")

    # keyboard: focus connection A's entry and press Enter to open its timeline
    button = browser.find_element(By.CSS_SELECTOR, f'.conn-button[data-conn="{a}"]')
    button.send_keys(Keys.ENTER)
    wait(browser, lambda d: button.get_attribute("aria-pressed") == "true", "connection A selected")
    assert browser.find_element(By.ID, "timeline-title").text == f"Timeline: {a}"
    assert all(li.get_attribute("data-conn") == a for li in entries(browser))

    # a message from the page: PostToConnection reaches the client
    post = browser.find_element(By.ID, "post-text")
    post.clear()
    post.send_keys("from the page <i>x</i>")
    browser.find_element(By.CSS_SELECTOR, "#post-form button").click()
    assert wsclient.recv_text(ws_a) == "from the page <i>x</i>"
    # and as the client: routed to the integration
    send = browser.find_element(By.ID, "send-text")
    send.clear()
    send.send_keys("typed in the page")
    browser.find_element(By.CSS_SELECTOR, "#send-form button").click()
    backend.wait_for(lambda r: r.route_key == "$default" and r.event.get("body") == "typed in the page")
    shoot(browser, tmp_path, "inspector-connection.png")

    # close from the page with a code and reason: the client sees it, $disconnect follows
    code = browser.find_element(By.ID, "close-code")
    code.clear()
    code.send_keys("4002")
    reason = browser.find_element(By.ID, "close-reason")
    reason.clear()
    reason.send_keys("bye from the page")
    browser.find_element(By.CSS_SELECTOR, "#close-form button").click()
    got_code, got_reason, _ = wsclient.wait_close(ws_a)
    assert (got_code, got_reason) == (4002, "bye from the page")
    disc = backend.wait_for_event("$disconnect", connection_id=a)
    assert disc.context["disconnectStatusCode"] == 4002
    wait(browser, lambda d: any("$disconnect" in t for t in summary_texts(d, "call")), "$disconnect on the page")
    assert "closed" in button.text

    # export the session and replay it with `wsgate replay`
    browser.find_element(By.ID, "export-button").click()
    result = wait(browser, lambda d: d.find_element(By.ID, "action-result").text if "wrote" in
                  d.find_element(By.ID, "action-result").text else None, "the export")
    out = Path(re.search(r"to (\S+) —", result).group(1))
    try:
        files = sorted(p.name for p in out.glob("*.json"))
        assert files[0] == "0001-connect.json" and files[-1].endswith("-disconnect.json"), files
        run = subprocess.run([str(wsgate_binary()), "replay", "--backend", backend.url("/events"),
                              "--port", str(unused_port), str(out)],
                             capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        assert run.returncode == 0, run.stdout.decode() + run.stderr.decode()
    finally:
        shutil.rmtree(out, ignore_errors=True)

    # a narrow window stays usable: one column, the timeline below the connections
    browser.set_window_size(420, 800)
    browser.find_element(By.CSS_SELECTOR, '.conn-button[data-conn=""]').click()
    aside = browser.find_element(By.TAG_NAME, "aside").rect
    main = browser.find_element(By.TAG_NAME, "main").rect
    assert main["y"] >= aside["y"] + aside["height"] - 1
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    shoot(browser, tmp_path, "inspector-narrow.png")


def test_pings_shown_and_hidden_page_pauses(browser, gate, backend, open_client):
    """A client's ping and wsgate's pong on the page; a hidden page (Page Visibility API) stops
    receiving entries and, shown again, resumes with what it missed, nothing twice."""
    browser.get(gate.http_url + "/_wsgate/")
    wait(browser, lambda d: d.find_element(By.ID, "status").text == "live", "the live stream")
    ws, connect = open_client(gate, backend)
    ws.ping(b"are you there")
    ws.sock.settimeout(5)
    assert ws.recv_data(control_frame=True) == (ABNF.OPCODE_PONG, b"are you there")
    wait(browser, lambda d: "the client sent a ping (13 bytes): are you there" in summary_texts(d, "frame") and
         "wsgate answered with a pong (13 bytes): are you there" in summary_texts(d, "frame"), "the ping and pong")

    def set_hidden(hidden):
        browser.execute_script(
            "Object.defineProperty(document, 'hidden', {value: arguments[0], configurable: true});"
            "Object.defineProperty(document, 'visibilityState', {value: arguments[0] ? 'hidden' : 'visible',"
            " configurable: true}); document.dispatchEvent(new Event('visibilitychange'));", hidden)

    set_hidden(True)
    wait(browser, lambda d: d.find_element(By.ID, "status").text == "paused while hidden", "the paused status")
    ws.send("sent while hidden")
    backend.wait_for(lambda r: r.route_key == "$default" and r.event.get("body") == "sent while hidden")
    # recorded (the held stream keeps wsgate recording) but not sent to the hidden page
    time.sleep(0.5)
    assert not any("sent while hidden" in t for t in summary_texts(browser, "frame"))
    set_hidden(False)
    wait(browser, lambda d: any("sent while hidden" in t for t in summary_texts(d, "frame")), "the missed message")
    wait(browser, lambda d: d.find_element(By.ID, "status").text == "live", "live again")
    seqs = [li.get_attribute("data-seq") for li in entries(browser)]
    assert len(seqs) == len(set(seqs)), "an entry shown twice"
    assert summary_texts(browser, "frame").count("the client sent a ping (13 bytes): are you there") == 1
    ws.close()


def test_flood_thinned_indicator_and_pause_shows_everything(browser, wsgate, backend, open_client, tmp_path):
    """A flood over the page's live rate: one status line says the view is thinned (no line per
    skip in the timeline); Pause (from the keyboard) fetches what was skipped from wsgate's ring and
    shows the newest --inspector-history entries, every seq, while the flood goes on."""
    server = wsgate("--backend", backend.url("/events"), "--auth", "none", "--inspector-history", "400")
    browser.get(server.http_url + "/_wsgate/")
    wait(browser, lambda d: d.find_element(By.ID, "status").text == "live", "the live stream")
    indicator = browser.find_element(By.ID, "thinned")
    assert not indicator.is_displayed()
    ws, connect = open_client(server, backend)
    cid = connect.context["connectionId"]
    stop, pushed = threading.Event(), []

    def drain():   # the client reads what is pushed, like a real one
        ws.sock.settimeout(0.2)
        while not stop.is_set():
            try:
                ws.recv()
            except Exception:  # noqa: BLE001 - a timeout while nothing is pushed
                pass

    threads = [threading.Thread(target=lambda: pushed.append(flood_pushes(server.port, cid, stop=stop))),
               threading.Thread(target=drain)]
    for t in threads:
        t.start()
    try:
        wait(browser, lambda d: indicator.is_displayed(), "the thinned indicator")
        text = wait(browser, lambda d: indicator.text if "entries/s" in indicator.text else None, "the rates")
        m = re.search(r"Live view thinned: showing ([\d,]+) of ([\d,]+) entries/s — pause to see all", text)
        assert m and int(m.group(1).replace(",", "")) < int(m.group(2).replace(",", "")), text
        assert entries(browser, "gap") == [], "a gap line per skip"
        shoot(browser, tmp_path, "inspector-thinned.png")
        pause = browser.find_element(By.ID, "pause-button")
        pause.send_keys(Keys.ENTER)
        note = wait(browser, lambda d: d.find_element(By.ID, "pause-note").text if
                    d.find_element(By.ID, "pause-note").text.startswith("Paused:") else None, "the paused view")
        assert pause.get_attribute("aria-pressed") == "true"
        seqs = [int(li.get_attribute("data-seq")) for li in entries(browser)]
        # the newest 400 entries, none skipped, though the live view showed a fraction of them
        assert len(seqs) == 400 and seqs == list(range(seqs[0], seqs[0] + 400)), seqs[:5]
        assert note == f"Paused: entries {seqs[0]}–{seqs[-1]}, every one.", note
        kinds = {li.get_attribute("data-kind") for li in entries(browser)}
        assert kinds <= {"frame", "mgmt"}, kinds
        # frozen while the flood goes on; new entries wait
        time.sleep(0.5)
        assert [int(li.get_attribute("data-seq")) for li in entries(browser)] == seqs
        assert re.fullmatch(r"Resume \(\d+ new\)", pause.text), pause.text
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
    assert pushed and pushed[0] > 0
    # resume: live again; the indicator goes once the flood is over
    pause.send_keys(Keys.SPACE)
    wait(browser, lambda d: pause.get_attribute("aria-pressed") == "false" and pause.text == "Pause", "resumed")
    assert browser.find_element(By.ID, "pause-note").text == ""
    wait(browser, lambda d: not indicator.is_displayed(), "the indicator to go", timeout=10)
    ws.send("after the flood")
    wait(browser, lambda d: any(t == "after the flood" for t in summary_texts(d, "frame")), "a new message, live")

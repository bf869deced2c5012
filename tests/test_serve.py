"""``studyguide serve``: the live preview, driven as a user's browser would, over HTTP (and
through headless Chromium where it is installed), on a copy of the fixture book."""
from __future__ import annotations

import http.client
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from lxml import etree

from conftest import MINI, interruptible

CHAPTER = Path("chapters/01-first.md")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Server:
    """``studyguide serve DIR --port 0`` as a process, its output read as it comes."""

    def __init__(self, book: Path, ready: str = "pages rendered"):
        self.book = book
        self.lines: list[str] = []
        self.news: queue.Queue[str] = queue.Queue()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "studyguide", "serve", str(book), "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=book.parent,
            start_new_session=True, preexec_fn=interruptible)
        threading.Thread(target=self._read, daemon=True).start()
        line = self.wait_for("serving ", 120)
        self.port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        self.wait_for(ready, 120)

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            self.news.put(line)

    def wait_for(self, text: str, timeout: float) -> str:
        end = time.monotonic() + timeout
        for line in list(self.lines):
            if text in line:
                return line
        while time.monotonic() < end:
            try:
                line = self.news.get(timeout=0.2)
            except queue.Empty:
                continue
            if text in line:
                return line
        raise AssertionError(f"no {text!r} in the server's output: {self.lines}")

    def get(self, path: str, method: str = "GET", host: str | None = None
            ) -> tuple[int, dict, bytes]:
        """A request with the path exactly as given (no client-side normalising)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.putrequest(method, path, skip_accept_encoding=True, skip_host=bool(host))
        if host:
            conn.putheader("Host", host)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read()
        conn.close()
        return r.status, dict(r.getheaders()), body

    def state(self) -> dict:
        return json.loads(self.get("/_/state")[2])

    def events(self):
        """The server's events as they come: each a decoded state."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", "/_/events")
        r = conn.getresponse()
        assert r.status == 200 and r.getheader("Content-Type") == "text/event-stream"
        while True:
            line = r.fp.readline().decode()
            if line.startswith("data: "):
                yield json.loads(line[6:])

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    book = tmp_path_factory.mktemp("serve") / "book"
    shutil.copytree(MINI, book)
    s = Server(book)
    yield s
    s.stop()


def test_pages_sidebar_and_what_they_use(server):
    status, headers, _ = server.get("/")
    assert status == 302
    first = headers["Location"]
    state = server.state()
    files = list(state["pages"])
    assert first == "/" + files[0]
    assert {"ch01.xhtml", "ch02.xhtml", "glossary.xhtml", "bibliography.xhtml",
            "index.xhtml", "bm-exercise.xhtml"} <= set(files)
    status, headers, body = server.get("/ch01.xhtml")
    assert status == 200 and headers["Content-Type"].startswith("application/xhtml+xml")
    page = etree.fromstring(body)                     # well-formed, as the EPUB's is
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    assert page.xpath("string(//h:h1)", namespaces=ns).strip().endswith("The First Chapter")
    sidebar = page.xpath("//h:nav[@class='sg-preview-sidebar']//h:a/@href", namespaces=ns)
    assert [h for h in sidebar if h.endswith(".xhtml")] == ["/" + f for f in files]
    assert page.xpath("//h:a[@aria-current='page']/@href", namespaces=ns) == ["/ch01.xhtml"]
    # the preview's own words are English, the pages' titles in the book's language
    nav = page.xpath("//h:nav[@class='sg-preview-sidebar']", namespaces=ns)[0]
    assert (nav.get("lang"), nav.get("dir")) == ("en", "ltr")
    assert {(li.get("lang"), li.get("dir")) for li in nav.xpath(".//h:li", namespaces=ns)} \
        == {(page.get("lang"), "ltr")} == {("en-GB", "ltr")}
    # the page knows the digest it was served with: its script reloads it when it changes
    assert page.xpath("//h:script[@src='/_/live.js']/@data-digest", namespaces=ns) == \
        [state["pages"]["ch01.xhtml"]]
    # everything a page links to or draws is served: the pages, stylesheet, figures, images
    for file in files:
        body = server.get("/" + file)[2]
        tree = etree.fromstring(body)
        refs = tree.xpath("//h:link/@href | //h:img/@src | //h:script/@src | //h:a/@href",
                          namespaces=ns)
        for ref in refs:
            ref = ref.split("#")[0]
            if not ref or ref.startswith(("http:", "https:", "mailto:", "/output/")):
                continue
            url = ref if ref.startswith("/") else "/" + ref
            assert server.get(url)[0] == 200, f"{file} links to {ref}, which is not served"
    css = server.get("/style/book.css")[2].decode()
    assert "@page" in css or ".chapter" in css


def test_no_path_outside_the_book(server):
    out = server.book / "output"
    out.mkdir(exist_ok=True)
    (out / "escape.pdf").unlink(missing_ok=True)
    (out / "escape.pdf").symlink_to(server.book / "book.yaml")
    (out / "escape-dir").unlink(missing_ok=True)
    (out / "escape-dir").symlink_to(server.book, target_is_directory=True)
    secret = (server.book / "book.yaml").read_bytes()
    for path in ["/../book.yaml", "/%2e%2e/book.yaml", "/%2E%2E/%2e%2e/etc/passwd",
                 "/..%2fbook.yaml", "/output/../book.yaml", "/output/%2e%2e/book.yaml",
                 "/output/..%2F..%2Fetc%2Fpasswd", "//etc/passwd", "/etc/passwd",
                 "/" + str(server.book / "book.yaml"), "/%2F" + str(server.book / "book.yaml"),
                 "/book.yaml", "/chapters/01-first.md", "/references.json",
                 "/output/escape.pdf", "/output/escape-dir/book.yaml", "/style/../book.yaml",
                 "/images/%2e%2e/book.yaml", "/ch01.xhtml%00.pdf", "/%00"]:
        status, _, body = server.get(path)
        assert status == 404, f"{path} served ({status})"
        assert secret not in body and b"root:" not in body
    # a page of another site, through a name that resolves to this machine, gets nothing
    assert server.get("/ch01.xhtml", host=f"attacker.example:{server.port}")[0] == 403
    assert server.get("/ch01.xhtml", host=f"localhost:{server.port}")[0] == 200
    status, headers, _ = server.get("/ch01.xhtml")
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_save_reloads_the_page_and_a_broken_save_is_shown(server):
    chapter = server.book / CHAPTER
    events = server.events()
    before = next(events)
    assert not before["errors"]
    saved = time.monotonic()
    edit(chapter, "was first stated", "was FIRST SAVED stated")
    for state in events:
        if state["pages"]["ch01.xhtml"] != before["pages"]["ch01.xhtml"]:
            break
    latency = time.monotonic() - saved
    assert latency < 15, latency         # a shared machine: the bench measures it properly
    assert b"FIRST SAVED" in server.get("/ch01.xhtml")[2]
    # only the edited chapter's page changed (the index points into it by id, not by page)
    changed = {f for f in before["pages"] if state["pages"][f] != before["pages"][f]}
    assert "ch01.xhtml" in changed and "ch02.xhtml" not in changed

    edit(chapter, "was FIRST SAVED stated", "was [@nosuchkey] stated")
    for state in events:
        if state["errors"]:
            break
    line = next(n for n, text in enumerate(chapter.read_text().splitlines(), 1)
                if "nosuchkey" in text)
    where = f"{CHAPTER}:{line}: error: unknown citation key 'nosuchkey'"
    assert any(e.endswith(where) for e in state["errors"]), state["errors"]
    page = server.get("/ch01.xhtml")[2].decode()
    assert "sg-preview-errors" in page and where.replace("'", "&#x27;") in page
    assert b"FIRST SAVED" in server.get("/ch01.xhtml")[2]       # the last good render
    assert server.wait_for(where, 10)                           # and in the terminal

    edit(chapter, "was [@nosuchkey] stated", "was stated again")
    for state in events:
        if not state["errors"]:
            break
    page = server.get("/ch01.xhtml")[2]
    assert b"sg-preview-errors" not in page and b"was stated again" in page


def test_a_change_to_the_stylesheet_reloads_every_page(server):
    """The book's own stylesheet is a file the pages share: a save to it reloads them all."""
    book_yaml = server.book / "book.yaml"
    events = server.events()
    before = next(events)
    (server.book / "book.css").write_text(".chapter { color: #102030; }\n", encoding="utf-8")
    text = book_yaml.read_text(encoding="utf-8")
    book_yaml.write_text(text.replace("paper: A4", "paper: A4\nstylesheet: book.css", 1),
                         encoding="utf-8")
    for state in events:
        if state["pages"]["ch02.xhtml"] != before["pages"]["ch02.xhtml"]:
            break
    assert b"#102030" in server.get("/style/book.css")[2]
    before = state
    (server.book / "book.css").write_text(".chapter { color: #203040; }\n", encoding="utf-8")
    for state in events:
        if state["pages"]["ch02.xhtml"] != before["pages"]["ch02.xhtml"]:
            break
    assert all(state["pages"][f] != before["pages"][f] for f in before["pages"])
    assert b"#203040" in server.get("/style/book.css")[2]


def test_the_pdf_link_opens_the_student_pdf_at_the_chapter(server):
    from pypdf import PdfReader
    end = time.monotonic() + 300
    while time.monotonic() < end:
        link = server.state()["pdf"].get("ch02.xhtml", "")
        if "#page=" in link:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"no PDF link: {server.state()} {server.lines}")
    path, page = link.split("#page=")
    status, headers, body = server.get(path)
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    out = server.book.parent / "linked.pdf"
    out.write_bytes(body)
    text = PdfReader(out).pages[int(page) - 1].extract_text()
    assert "The Second Chapter" in text
    assert f'href="{path}' in server.get("/ch02.xhtml")[2].decode()


def test_a_save_gives_a_new_student_pdf_with_the_edit(server):
    """The student PDF follows a save, typeset in the server's own process, and the
    link on the page opens it with the new text (the other outputs come after it)."""
    from pypdf import PdfReader
    chapter = server.book / "chapters" / "02-second.md"
    seen = len(server.lines)
    text = chapter.read_text(encoding="utf-8")
    para = next(p for p in text.split("\n\n") if p[:1].isalpha())
    chapter.write_text(text.replace(para, para + " Saved for the PDF.", 1), encoding="utf-8")
    end = time.monotonic() + 300
    while not any("built the student PDF" in line for line in server.lines[seen:]):
        assert time.monotonic() < end, server.lines[seen:]
        time.sleep(0.2)
    assert not any("Traceback" in line for line in server.lines[seen:])
    link = server.state()["pdf"]["ch02.xhtml"]
    status, headers, body = server.get(link.split("#")[0])
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    out = server.book.parent / "saved.pdf"
    out.write_bytes(body)
    words = " ".join(" ".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert "Saved for the PDF." in words


def _cdp(url: str):
    """Headless Chromium driven through the DevTools protocol on a pipe: (send, process)."""
    a_read, a_write = os.pipe()            # to the browser
    b_read, b_write = os.pipe()            # from the browser

    def fds():
        os.dup2(a_read, 3)
        os.dup2(b_write, 4)

    profile = Path(os.environ.get("TMPDIR", "/tmp")) / f"sg-serve-chromium-{os.getpid()}"
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
         f"--user-data-dir={profile}", "about:blank"],
        preexec_fn=fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    os.close(a_read)
    os.close(b_write)
    out, inp = os.fdopen(a_write, "wb"), os.fdopen(b_read, "rb")
    counter = iter(range(1, 10**6))

    def send(method, session=None, **params):
        n = next(counter)
        message = {"id": n, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        out.write(json.dumps(message).encode() + b"\0")
        out.flush()
        buf = b""
        while True:
            chunk = inp.read1(65536) if b"\0" not in buf else b""
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == n:
                    if "error" in reply:
                        raise AssertionError(reply["error"])
                    return reply["result"]

    target = send("Target.createTarget", url=url)["targetId"]
    session = send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def evaluate(expression):
        return send("Runtime.evaluate", session, expression=expression,
                    returnByValue=True)["result"].get("value")
    return evaluate, browser, profile


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium")
def test_chromium_reloads_the_open_page_on_a_save(server):
    evaluate, browser, profile = _cdp(f"http://127.0.0.1:{server.port}/ch02.xhtml")
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and not evaluate(
                "document.readyState === 'complete' && "
                "document.body.textContent.includes('The Second Chapter')"):
            time.sleep(0.2)
        evaluate("window.scrollTo(0, 150); window.notReloaded = true")
        scrolled = evaluate("window.scrollY")
        time.sleep(1)                      # the page's event stream is open
        chapter = server.book / "chapters/02-second.md"
        text = chapter.read_text(encoding="utf-8")
        words = next(line for line in text.splitlines()
                     if line and not line.startswith(("#", "-", " ", "---")) and ":" not in line
                     and len(line.split()) > 3)
        chapter.write_text(text.replace(words, words + " Freshly saved words.", 1),
                           encoding="utf-8")
        saved = time.monotonic()
        end = saved + 30
        while time.monotonic() < end:
            if evaluate("document.body.textContent.includes('Freshly saved words.')"):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the open page never showed the saved text")
        print(f"save -> page shown in Chromium: {time.monotonic() - saved:.2f} s")
        assert evaluate("window.notReloaded === undefined")     # reloaded, not patched
        end = time.monotonic() + 10
        while evaluate("window.scrollY") != scrolled and time.monotonic() < end:
            time.sleep(0.1)
        assert evaluate("window.scrollY") == scrolled           # where the reader was
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _processes_on(book: Path) -> list[str]:
    """Command lines of the processes that work on this book (the server's builds)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(book) in cmd:
            found.append(cmd)
    return found


def test_ctrl_c_stops_cleanly(server):
    chapter = server.book / CHAPTER
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne line more.\n",
                       encoding="utf-8")
    seen = len(server.lines)
    end = time.monotonic() + 30
    while not any("pages rendered" in line for line in server.lines[seen:]):
        assert time.monotonic() < end, server.lines
        time.sleep(0.1)
    time.sleep(1)                           # a background build is under way
    code = server.stop()
    assert code == 0
    output = "\n".join(server.lines)
    assert "Traceback" not in output and server.lines[-1] == "stopped"
    with pytest.raises(OSError):
        server.get("/")
    end = time.monotonic() + 20
    while _processes_on(server.book) and time.monotonic() < end:
        time.sleep(0.2)
    assert not _processes_on(server.book)


def test_a_killed_server_leaves_no_build_behind(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    s = Server(book)
    end = time.monotonic() + 60
    while len(_processes_on(book)) < 2:             # the server and its build
        assert time.monotonic() < end, _processes_on(book)
        time.sleep(0.1)
    os.kill(s.process.pid, signal.SIGKILL)
    s.process.wait()
    end = time.monotonic() + 20
    while _processes_on(book) and time.monotonic() < end:
        time.sleep(0.2)
    assert not _processes_on(book)


def test_a_book_broken_from_the_start_shows_its_errors_then_its_pages(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    good = (book / "book.yaml").read_text(encoding="utf-8")
    (book / "book.yaml").write_text(good.replace("title:", "title: [unclosed", 1),
                                    encoding="utf-8")
    s = Server(book, ready=": error: ")
    try:
        status, _, body = s.get("/")
        assert status == 200 and b"sg-preview-errors" in body
        assert re.search(rb"book\.yaml:\d+: error: ", body), body
        assert re.search(r"book\.yaml:\d+: error: ", "\n".join(s.lines))
        events = s.events()
        next(events)
        (book / "book.yaml").write_text(good, encoding="utf-8")
        for state in events:
            if state["pages"]:
                break
        assert not state["errors"]
        assert s.get("/")[0] == 302 and s.get("/ch01.xhtml")[0] == 200
    finally:
        assert s.stop() == 0


def test_a_port_in_use_is_one_clear_error(tmp_path):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "studyguide", "serve", str(MINI),
                            "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.startswith(f"error: cannot serve on 127.0.0.1:{port}: ")
    assert "Traceback" not in r.stderr


def test_serve_options_and_build_py_serve(tmp_path):
    from studyguide import cli
    args = cli.parser().parse_args(["serve", "book"])
    assert args.port == 8000 and args.bind == "127.0.0.1"       # this machine only
    args = cli.parser().parse_args(["serve", "book", "--port", "0", "--format", "epub"])
    assert args.port == 0 and args.formats == ["epub"]
    root = Path(__file__).resolve().parent.parent
    args = cli.script_parser(root).parse_args(["--serve", "--port", "8123"])
    assert args.serve and args.port == 8123 and args.bind == "127.0.0.1"
    assert not cli.script_parser(root).parse_args([]).serve
    # build.py --serve serves its --content folder
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    process = subprocess.Popen(
        [sys.executable, str(root / "build.py"), "--serve", "--port", "0", "--content",
         str(book), "--output", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        preexec_fn=interruptible)
    try:
        line = process.stdout.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        while "pages rendered" not in (line := process.stdout.readline()):
            assert line, "the server ended before it rendered the book"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/ch02.xhtml")
        assert b"The Second Chapter" in conn.getresponse().read()
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0



def _ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _sigint_ignored(pid: int) -> bool:
    """Whether the process ignores SIGINT (its /proc status's mask of ignored signals)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    raise AssertionError(f"no SigIgn line for {pid}")


def test_a_server_started_with_sigint_ignored_can_still_stop_its_builds(tmp_path):
    """A server started as a script's background job has SIGINT ignored. It keeps to
    that, but the build it starts after a save must not inherit it: a newer save stops
    that build with SIGINT, and an ignored one would make the next save's typesetting
    wait for the whole build. SIGTERM stops the server."""
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    process = subprocess.Popen(
        [sys.executable, "-m", "studyguide", "serve", str(book), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
        start_new_session=True, preexec_fn=_ignoring_sigint)
    try:
        end = time.monotonic() + 120
        builds: list[int] = []
        while not builds:
            assert time.monotonic() < end and process.poll() is None, _processes_on(book)
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"build" in cmd and str(book).encode() in cmd and b"-c" in cmd:
                    builds.append(int(pid))
            time.sleep(0.05)
        try:
            assert not _sigint_ignored(builds[0])
        except FileNotFoundError:
            pytest.fail("the build ended before its signals could be read")
        process.send_signal(signal.SIGINT)          # ignored, as the server was told
        time.sleep(1)
        assert process.poll() is None
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
    assert process.returncode == 0 and output.rstrip().endswith("stopped"), output
    assert "Traceback" not in output


@pytest.mark.parametrize("after", [0.3, 2.0])
def test_sigint_stops_a_saves_build_at_any_point_without_a_traceback(tmp_path, after):
    """The build a save starts stops on SIGINT, while it starts (0.3 s: importing) or at
    work (2 s), with nothing written and no traceback."""
    from types import SimpleNamespace

    from studyguide.serve import Builder
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    opts = SimpleNamespace(content=book, output=tmp_path / "out", cache=tmp_path / "cache",
                           jobs=None, formats=(), papers=(), editions=(), handouts=True,
                           strict=False)
    argv = Builder.argv(SimpleNamespace(opts=opts))
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True, preexec_fn=interruptible)
    try:
        time.sleep(after)
        assert process.poll() is None, process.communicate()[0]
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # killed by the signal itself if it came before Python's own handler was in place
    assert process.returncode in (130, -signal.SIGINT), output
    assert "Traceback" not in output and "unexpected failure" not in output, output
    assert not list((tmp_path / "out").glob("*.pdf"))


def test_the_first_student_pdf_of_a_book_not_built_yet_is_a_build_s_on_every_core(tmp_path):
    """A server's first student PDF, for a book its cache has no edition of, comes from a
    build of the student edition alone (every core: the parts laid out in parallel),
    which this process then takes from the cache, laying out nothing itself; once the
    cache has the edition, a server typesets it itself. Either way the file is the
    build's, byte for byte."""
    from studyguide.builder import Options, build
    from studyguide.serve import Builder, Preview
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    opts = Options(content=book, output=tmp_path / "out", cache=tmp_path / "cache", jobs=2)
    made = {}
    for session in ("cold", "warm"):
        preview = Preview(opts, quiet=True)
        current = preview.refresh()
        builder = Builder(preview, opts, quiet=True)
        try:
            assert builder.typeset(current.book, current.paper, threading.Event(), 0)
        finally:
            builder.stop()
        pdf = opts.output / preview.student_pdf()
        made[session] = (builder.process.args if builder.process else None,
                         [what for what, _ in builder.student.run.computed], pdf.read_bytes())
    argv, computed, data = made["cold"]
    assert argv[argv.index("build"):][:2] == ["build", str(book)]
    assert " ".join(argv).endswith("--format pdf --paper A4 --edition student --no-handouts "
                                   "--no-preflight")
    assert computed == []                          # all from the build's cache
    assert made["warm"][:2] == (None, []) and made["warm"][2] == data
    clean = Options(content=book, output=tmp_path / "clean", cache=None, formats=("pdf",),
                    editions=("student",), handouts=False)
    build(clean)
    assert (clean.output / pdf.name).read_bytes() == data


def test_a_save_right_after_the_student_pdf_finds_no_build_started(tmp_path):
    """The other outputs' build waits for a pause in the saving (``OTHER_OUTPUTS_AFTER``):
    a save that follows the student PDF at once, as an editor saves in bursts, is read
    and typeset with no build starting beside it only to be stopped; once the saves
    pause, the build comes."""
    from studyguide.serve import OTHER_OUTPUTS_AFTER
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    s = Server(book)
    try:
        s.wait_for("built the other outputs", 300)
        chapter = book / "chapters" / "02-second.md"
        text = chapter.read_text(encoding="utf-8")
        para = next(p for p in text.split("\n\n") if p[:1].isalpha())
        seen = len(s.lines)
        chapter.write_text(text.replace(para, para + " First save.", 1), encoding="utf-8")
        end = time.monotonic() + 120
        while not any("built the student PDF" in line for line in s.lines[seen:]):
            assert time.monotonic() < end, s.lines[seen:]
            time.sleep(0.02)
        seen = len(s.lines)
        chapter.write_text(text.replace(para, para + " Second save.", 1), encoding="utf-8")
        started = time.monotonic()
        processes = []
        while not any("built the student PDF" in line for line in s.lines[seen:]):
            assert time.monotonic() < started + 120, s.lines[seen:]
            processes.append(len(_processes_on(book)))
            time.sleep(0.05)
        assert max(processes) == 1, processes        # the server alone
        assert time.monotonic() - started < OTHER_OUTPUTS_AFTER + 60
        s.wait_for("built the other outputs", 300)
        assert not any("Traceback" in line for line in s.lines)
    finally:
        assert s.stop() == 0

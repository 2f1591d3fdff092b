"""The tour end to end on its tiny configuration: the page is self-contained, every link and
image on every page it wrote exists, the results are on the index itself, and headless Chromium
(Debian's ``chromium``, installed by .ci/run) loads every image and takes a screenshot."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.scripts = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag == "img":
            self.images.append(a.get("src") or "")
        if tag == "script":
            self.scripts += 1
        if tag in ("link", "script", "iframe") and (a.get("href") or a.get("src")):
            self.external.append(a.get("href") or a.get("src") or "")


def _refs(page: Path) -> _Refs:
    p = _Refs()
    p.feed(page.read_text())
    return p


def _target(page: Path, ref: str) -> Path | None:
    """The file a relative reference points at (None for an in-page anchor)."""
    u = urlparse(ref)
    assert not u.scheme and not u.netloc, f"{page.name}: non-local reference {ref!r}"
    if not u.path:
        return None
    return (page.parent / unquote(u.path)).resolve()


@pytest.fixture(scope="module")
def tour(tmp_path_factory) -> Path:
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("tour") / "t"
    cmd = [sys.executable, "-m", "widthlimits.proofs_checks", "tour", "--tiny", "--jobs", "1",
           "-o", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "failed" not in (out / "tour.json").read_text(), (out / "tour.json").read_text()
    (out.parent / "stdout.txt").write_text(res.stdout)
    return out


def test_progress_lines_reach_a_pipe(tour: Path) -> None:
    text = (tour.parent / "stdout.txt").read_text()
    assert "[tour] Theorem checks (quick mode) ..." in text
    assert re.search(r"\[tour\]   check 2/2 golikov-depth-gd-vs-rmsprop: \w+ \(\d+ s elapsed\)", text)


def test_every_link_and_image_exists_and_no_markdown_is_linked(tour: Path) -> None:
    pages = sorted(tour.rglob("*.html"))
    assert len(pages) >= 6, pages
    seen, todo = set(), [tour / "index.html"]
    while todo:  # every page reachable from the index, following links
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        refs = _refs(page)
        assert refs.scripts == 0 and refs.external == [], page
        for ref in refs.images:
            t = _target(page, ref)
            assert t is not None and t.is_file() and t.stat().st_size > 1000, f"{page}: image {ref}"
        for ref in refs.links:
            t = _target(page, ref)
            if t is None:
                continue
            assert t.is_file(), f"{page}: dead link {ref}"
            assert t.suffix in (".html", ".pdf", ".tex"), f"{page}: links a non-page {ref}"
            if t.suffix == ".html":
                todo.append(t)
    assert {p.resolve() for p in pages} <= {p.resolve() for p in seen}, "pages no link reaches"


def test_index_shows_every_result_inline(tour: Path) -> None:
    text = (tour / "index.html").read_text()
    imgs = _refs(tour / "index.html").images
    assert "coordcheck/coordcheck.png" in imgs and "phase_golikov.png" in imgs
    assert text.count("<math") >= 5  # the derivation's key steps in MathML
    assert "RMSProp" in text and "rmsprop" in text  # Golikov's depth table
    assert re.search(r"\d+ confirmed</span><span class=inconclusive>\d+ inconclusive</span>"
                     r"<span class=refuted>\d+ refuted", text)
    assert "negative control" in (tour / "checks" / "tp4-dynamical-dichotomy" / "index.html").read_text()


def test_coord_check_summary_tells_inconclusive_from_disagree(tour: Path) -> None:
    """The tour's coord-check line counts each verdict: a 98.8% rate with one inconclusive row
    and none disagreeing read as a disagreement before."""
    import json

    from widthlimits.numerics.coordcheck import verdict_counts_text as _coord_counts
    from widthlimits.numerics.verdicts import Verdict

    class Row:
        def __init__(self, v: Verdict) -> None:
            self.verdict = v

    rows = [Row(Verdict.AGREE)] * 81 + [Row(Verdict.INCONCLUSIVE)]
    assert _coord_counts(rows, 81 / 82) == ("81 agree, 0 disagree, 1 inconclusive of 82 "
                                            "quantities (agreement 98.8%)")
    rows[0] = Row(Verdict.DISAGREE)
    assert "1 disagree" in _coord_counts(rows, 80 / 82)
    summary = json.loads((tour / "tour.json").read_text())
    text = json.dumps(summary)
    assert re.search(r"\d+ agree, \d+ disagree, \d+ inconclusive of \d+ quantities", text)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHECKER = """<!doctype html><meta charset=utf-8><body>pending
<iframe id=f src="index.html" width=1200 height=3000></iframe>
<script>
document.getElementById('f').onload = function () {
  var imgs = Array.from(this.contentDocument.images);
  var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  document.body.setAttribute('data-result', 'images=' + imgs.length + ' broken=' +
    bad.map(function (i) { return i.getAttribute('src'); }).join('|'));
};
</script>"""


@pytest.mark.skipif(_chromium() is None,
                    reason="Debian's chromium is not installed (.ci/run installs it: "
                           "apt-get install chromium)")
def test_headless_chromium_loads_every_image_and_screenshots(tour: Path, tmp_path: Path) -> None:
    exe = _chromium()
    assert exe is not None
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        flags = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--hide-scrollbars"]
        shot = tmp_path / "tour.png"
        subprocess.run([*flags, "--window-size=1200,3000", f"--screenshot={shot}",
                        (tour / "index.html").as_uri()], capture_output=True, timeout=120,
                       check=True, env={**os.environ, "HOME": str(tmp_path)})
        assert shot.stat().st_size > 50_000
        checker = tour / "_image_check.html"
        checker.write_text(CHECKER)
        dom = subprocess.run([*flags, "--allow-file-access-from-files", "--virtual-time-budget=10000",
                              "--dump-dom", checker.as_uri()], capture_output=True, text=True,
                             timeout=120, check=True, env={**os.environ, "HOME": str(tmp_path)}).stdout
        m = re.search(r'data-result="images=(\d+) broken=([^"]*)"', dom)
        assert m, dom[:500]
        assert int(m.group(1)) >= 2 and m.group(2) == "", f"broken images: {m.group(2)}"
    finally:
        shutil.rmtree(profile, ignore_errors=True)

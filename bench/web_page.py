"""Visitor page weight and an accessibility/performance check in headless Chromium.

Run standalone: `python bench/web_page.py`. Needs Debian chromium (scripts/install-system-deps),
Playwright for Python, and npm (axe-core is fetched with `npm pack` into a temporary directory).
Prints: bytes of HTML+CSS+JS (and the first list of places) as the server sends them, uncompressed
and gzip-compressed (`Accept-Encoding: gzip`), as a ratio to the uncompressed page of the same run;
axe-core violations per page; first paint and load on a throttled "slow phone" (4x CPU slowdown,
1.6 Mbit/s, 150 ms RTT) as a ratio to the same page unthrottled. `--weight-only` skips the browser.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.loading import load_sample_data  # noqa: E402
from app.store.embedded import EmbeddedStore  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402

POINT = "/?lat=53.2179&lon=6.1628&radius=500"
PAGES = {"visitor": POINT, "place": "/place/rm-7032", "desk": "/desk"}


NEARBY = "/places/nearby?lat=53.2179&lon=6.1628&radius=500&limit=20&lang=nl"
ASSETS = ["/static/web/pvb.css", "/static/vendor/leaflet/leaflet.css", "/static/web/common.js",
          "/static/vendor/leaflet/leaflet.js", "/static/web/visitor.js"]


def _wire(url: str, encoding: str) -> tuple[int, str]:
    """Bytes the server sends for one URL (not inflated by the client), and the encoding it used."""
    with httpx.stream("GET", url, headers={"Accept-Encoding": encoding}) as response:
        return sum(len(chunk) for chunk in response.iter_raw()), response.headers.get("content-encoding", "-")


def weight(url: str) -> None:
    """The visitor page as a phone downloads it (HTML, CSS, JS and the first list of places), as served
    uncompressed and with `Accept-Encoding: gzip`; ratios against the uncompressed page of this run."""
    paths = {"HTML": POINT} | {a: a for a in ASSETS} | {"places nearby (JSON)": NEARBY}
    rows = {name: (_wire(url + path, "identity"), _wire(url + path, "gzip")) for name, path in paths.items()}
    print(f"{'file':42} {'identity':>9} {'gzip':>8} {'ratio':>6}")
    for name, ((plain, _), (zipped, coding)) in rows.items():
        print(f"{name:42} {plain:9d} {zipped:8d} {zipped / plain:6.2f}  ({coding})")
    total = sum(plain for (plain, _), _ in rows.values())
    total_gz = sum(zipped for _, (zipped, _) in rows.values())
    own = [r for name, r in rows.items() if "vendor" not in name]
    own_plain, own_gz = sum(p for (p, _), _ in own), sum(z for _, (z, _) in own)
    leaflet = sum(z for name, (_, (z, _)) in rows.items() if "vendor/leaflet" in name)
    print(f"{'visitor page total':42} {total:9d} {total_gz:8d} {total_gz / total:6.2f}"
          f"   (Leaflet is {leaflet / total_gz:.0%} of the compressed page)")
    print(f"{'  of which our own HTML+CSS+JS+JSON':42} {own_plain:9d} {own_gz:8d} {own_gz / own_plain:6.2f}")


def axe_source(tmp: Path) -> str:
    subprocess.run(["npm", "pack", "axe-core@4", "--silent", "--pack-destination", str(tmp)],  # noqa: S607
                   check=True, capture_output=True)
    with tarfile.open(next(tmp.glob("axe-core-*.tgz"))) as tar:
        return tar.extractfile("package/axe.min.js").read().decode()


def checks(url: str, axe: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(bypass_csp=True, locale="nl-NL", viewport={"width": 390, "height": 844})
        page = context.new_page()
        print("\naxe-core (WCAG 2.0/2.1 A and AA rules), phone viewport:")
        for name, path in PAGES.items():
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            page.add_script_tag(content=axe)
            result = page.evaluate("""async () => { const r = await axe.run(document,
                { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
                return { violations: r.violations.map(v => [v.id, v.impact, v.nodes.length]),
                         passes: r.passes.length }; }""")
            print(f"  {name:8} passes={result['passes']:3d} violations={result['violations'] or 'none'}")
        print("\nfirst render, visitor page (median of 3):")
        timings = {}
        for label, cpu, net in (("desktop, unthrottled", 1, None), ("slow phone", 4, (1.6e6 / 8, 150))):
            runs = []
            for _ in range(3):
                ctx = browser.new_context(viewport={"width": 390, "height": 844})
                pg = ctx.new_page()
                cdp = ctx.new_cdp_session(pg)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
                if net:
                    cdp.send("Network.enable")
                    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": net[1],
                                                                  "downloadThroughput": net[0],
                                                                  "uploadThroughput": net[0]})
                pg.goto(url + POINT)
                pg.wait_for_selector("#places li")
                runs.append(pg.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
                    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
                    return { fcp: fcp ? fcp.startTime : null, dcl: n.domContentLoadedEventEnd,
                             list: performance.now() }; }"""))
                ctx.close()
            timings[label] = {k: sorted(r[k] for r in runs)[1] for k in runs[0]}
        base = timings["desktop, unthrottled"]
        for label, t in timings.items():
            print(f"  {label:22} first paint {t['fcp']:7.0f} ms ({t['fcp'] / base['fcp']:.1f}x)   "
                  f"DOMContentLoaded {t['dcl']:7.0f} ms ({t['dcl'] / base['dcl']:.1f}x)   "
                  f"list of places shown {t['list']:7.0f} ms ({t['list'] / base['list']:.1f}x)")
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        store = EmbeddedStore(tmp / "sample")
        load_sample_data(store, "http://localhost:8000/")
        store.close()
        server = Server(tmp / "sample", tmp)
        server.start()
        try:
            weight(server.url)
            if "--weight-only" not in sys.argv:
                checks(server.url, axe_source(tmp))
        finally:
            server.stop()


if __name__ == "__main__":
    main()

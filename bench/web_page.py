"""Visitor page weight and an accessibility/performance check in headless Chromium.

Run standalone: `python bench/web_page.py`. Needs Debian chromium (scripts/install-system-deps),
Playwright for Python, and npm (axe-core is fetched with `npm pack` into a temporary directory).
Prints: bytes of HTML+CSS+JS raw and gzip (as a ratio to the vendored Leaflet alone, measured in the
same run); axe-core violations per page; first paint and load on a throttled "slow phone"
(4x CPU slowdown, 1.6 Mbit/s, 150 ms RTT) as a ratio to the same page unthrottled.
"""

from __future__ import annotations

import gzip
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


def weight(url: str) -> None:
    html = httpx.get(url + POINT).text
    assets = ["/static/web/pvb.css", "/static/vendor/leaflet/leaflet.css", "/static/web/common.js",
              "/static/vendor/leaflet/leaflet.js", "/static/web/visitor.js"]
    bodies = {"HTML": html.encode()} | {a: httpx.get(url + a).content for a in assets}
    leaflet = bodies["/static/vendor/leaflet/leaflet.js"] + bodies["/static/vendor/leaflet/leaflet.css"]
    base_gz = len(gzip.compress(leaflet, 6))
    print(f"{'file':42} {'bytes':>8} {'gzip':>8}")
    for name, body in bodies.items():
        print(f"{name:42} {len(body):8d} {len(gzip.compress(body, 6)):8d}")
    total = sum(len(b) for b in bodies.values())
    total_gz = sum(len(gzip.compress(b, 6)) for b in bodies.values())
    own = {k: v for k, v in bodies.items() if "vendor" not in k}
    own_gz = sum(len(gzip.compress(b, 6)) for b in own.values())
    print(f"{'visitor page total (HTML+CSS+JS)':42} {total:8d} {total_gz:8d}"
          f"   = {total_gz / base_gz:.2f}x Leaflet alone ({base_gz} B gzip)")
    print(f"{'  of which our own HTML+CSS+JS':42} {sum(len(b) for b in own.values()):8d} {own_gz:8d}"
          f"   = {own_gz / base_gz:.2f}x Leaflet alone")


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
            checks(server.url, axe_source(tmp))
        finally:
            server.stop()


if __name__ == "__main__":
    main()

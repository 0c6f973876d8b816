"""Click-to-first-variant in the copywriters' workspace, with the real default model, in a real browser.

Serves app.py's UI (the demo project, the default generator loaded once before serving) on a free
local port, drives Debian's Chromium with Playwright: picks shoppers, clicks "Generate variants"
and times the click until "Variant 1" is on screen and until the run is done. The baseline,
measured in the same run on the same shoppers with the same seeds, is the app before the
workspace: ``service.write`` returns all variants at once, so nothing shows until the last one.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/app_first_variant.py --shoppers 3
"""

from __future__ import annotations

import argparse
from pathlib import Path
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=3, help="shoppers to generate for (the first N of the demo)")
    parser.add_argument("--channel", default="email")
    parser.add_argument("--backend", default=None, help="generator backend (default: the project's)")
    parser.add_argument("--model", default=None, help="generator model (default: the project's)")
    args = parser.parse_args()

    from playwright.sync_api import expect, sync_playwright

    import app as ui
    from contentgen.cli.common import service_from_options

    service = service_from_options(None, None, None, backend=args.backend, model=args.model)
    started = time.perf_counter()
    service.profiles, service.recommender, service.offer_plan
    loaded = time.perf_counter()
    service.writer  # the model, loaded once per process
    print(f"shop ready in {loaded - started:.1f} s, model {service.writer.generator.name} loaded in "
          f"{time.perf_counter() - loaded:.1f} s")
    shoppers = [str(s) for s in service.profiles.frame.index[: args.shoppers]]

    baseline = []
    for shopper in shoppers:
        t0 = time.perf_counter()
        service.write(shopper, args.channel)
        baseline.append(time.perf_counter() - t0)

    folder = Path(tempfile.mkdtemp(prefix="contentgen-bench-app-"))
    blocks = ui.build_app(service, ui.WorkspaceSettings(folder=folder))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    blocks.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    first, done = [], []
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(folder / "profile"), executable_path="/usr/bin/chromium", headless=True,
                args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = context.new_page()
            expect.set_options(timeout=600_000)
            page.goto(f"http://127.0.0.1:{port}/")
            for shopper in shoppers:
                page.get_by_role("tab", name="Shopper").click()
                picker = page.get_by_label("Shopper (type an id to search)")
                picker.fill(shopper)
                page.keyboard.press("Enter")
                page.get_by_role("button", name="Look up").click()
                expect(page.get_by_text(f"Writing for shopper {shopper}", exact=False)).to_be_visible()
                page.get_by_role("tab", name="Write").click()
                if args.channel != "email":
                    page.get_by_role("radio", name=args.channel).check()
                t0 = time.perf_counter()
                page.get_by_role("button", name="Generate variants").click()
                # the click hides the previous run's cards and says "Writing…" (a model call takes seconds)
                expect(page.get_by_text("Writing…", exact=False)).to_be_visible()
                expect(page.locator("#variant-1-card")).to_contain_text("Variant 1 ·")
                first.append(time.perf_counter() - t0)
                expect(page.get_by_text("done. Edit, then approve", exact=False)).to_be_visible()
                done.append(time.perf_counter() - t0)
            context.close()
    finally:
        blocks.close()

    print(f"{len(shoppers)} shoppers, channel {args.channel}, {service.settings.variants} variants each")
    print(f"{'':38}{'median':>8}{'min':>8}{'max':>8}")
    for label, values in (("app: click -> first variant shown", first), ("app: click -> all variants shown", done),
                          ("baseline: service.write (all at once)", baseline)):
        print(f"{label:38}{statistics.median(values):8.1f}{min(values):8.1f}{max(values):8.1f}")


if __name__ == "__main__":
    main()

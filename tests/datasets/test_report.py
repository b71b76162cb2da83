"""report.html is self-contained, renders in headless Chromium, and holds its plots."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.datasets.synthetic import write_project
from winnow.datasets import build

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    project = write_project(root / "p", labels="lfs", split="random")
    build(project, out=root / "ds", seed=1)
    return root / "ds" / "report.html"


def _png_array(data: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return np.asarray(mpimg.imread(io.BytesIO(data), format="png"))


def test_report_is_self_contained_with_plots(report: Path) -> None:
    html = report.read_text()
    assert not re.search(r'(src|href)="(https?:)?//', html), "the report must not load anything"
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 2  # splits (labels + time) and feature distributions
    for encoded in images:
        pixels = _png_array(base64.b64decode(encoded))
        assert pixels.shape[0] > 100 and pixels.shape[1] > 300
        assert float(pixels[..., :3].std()) > 0.05  # not a blank canvas
    for section in ("Summary", "Splits", "Feature distributions per split",
                    "Labeling functions and label model", "Label model vs gold labels",
                    "Sampling", "Quarantine", "Leakage check"):
        assert f">{section}<" in html, section


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    cmd = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2000",
        f"--screenshot={shot}", report.resolve().as_uri(),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    pixels = _png_array(shot.read_bytes())[..., :3]
    assert pixels.shape[:2] == (2000, 1280)
    ink = (pixels < 0.9).any(axis=2)  # pixels that are not (near) white
    assert ink.mean() > 0.02, "the screenshot is blank"
    # the plots are rendered: many distinct colours appear (text alone is greyscale)
    colourful = np.abs(pixels[..., 0] - pixels[..., 2]) > 0.2
    assert colourful.sum() > 2000

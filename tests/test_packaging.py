"""What a user gets from `pip install`: every file of each package must be in its wheel.

The tests otherwise run on editable installs, which read the source tree and so can never notice a
file missing from `package-data` (the supervisor's C sources, a harness, a Dockerfile, a dataset):
a regular install would fail at its first run. Each distribution is built for real here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = {
    "afterburner_core": REPO,
    **{f"afterburner_{d.name}": d for d in sorted((REPO / "plugins").iterdir()) if (d / "pyproject.toml").exists()},
}


def _package_files(project: Path, package: str) -> set[str]:
    root = project / package
    return {
        p.relative_to(project).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


@pytest.mark.slow
@pytest.mark.parametrize("package", sorted(DISTRIBUTIONS))
def test_the_wheel_holds_every_file_of_its_package(package: str, tmp_path: Path) -> None:
    project = DISTRIBUTIONS[package]
    # a clean copy: a `build/` or `*.egg-info` left in the tree (an editable install makes one) would
    # feed setuptools the files of an earlier build and hide a missing pattern
    source = tmp_path / "source"
    shutil.copytree(project, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".git"))
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    wheels = list(tmp_path.glob("*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as wheel:
        inside = set(wheel.namelist())
    missing = sorted(_package_files(project, package) - inside)
    assert not missing, f"{wheels[0].name} lacks {missing}"

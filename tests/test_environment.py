"""pyproject.toml and environment.yml must list the same dependencies."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def _name(requirement: str) -> set[str]:
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)(\[([^\]]+)\])?", requirement)
    base = m.group(1).lower().replace("_", "-")
    extras = {e.strip().lower() for e in (m.group(3) or "").split(",") if e.strip()}
    return {CONDA_NAMES.get(base, base)} | extras


def test_environment_yml_lists_the_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set()
    for req in project["dependencies"] + project["optional-dependencies"]["dev"]:
        wanted |= _name(req)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    conda = set()
    pip_entries = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_entries += dep["pip"]
        elif not dep.startswith(("python", "pip")) or dep.startswith("python-"):
            conda |= _name(dep)
    assert conda == wanted, (
        f"only in pyproject: {sorted(wanted - conda)}; only in environment.yml: "
        f"{sorted(conda - wanted)}"
    )
    assert any(e.strip().startswith("-e .") for e in pip_entries), "package itself via pip"


def test_torch_is_not_constrained_in_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    torch_reqs = [r for r in project["dependencies"] if _name(r) == {"torch"}]
    assert torch_reqs == ["torch"], "a torch range would pull another build; make pins 2.13.0"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make report" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()

"""Keeps the set-up files in sync: pyproject.toml, environment.yml, constraints.txt, Makefile, CI, README."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
TORCH_VERSION = "2.13.0"

# pip name -> conda-forge name, where they differ
CONDA_NAMES = {"torch": "pytorch"}
# packages an extra pulls in, which environment.yml may list explicitly
EXTRA_PACKAGES = {("gymnasium", "classic-control"): {"pygame-ce", "pygame"}}
# conda-only entries that are not Python dependencies of the package
CONDA_TOOLING = {"python", "pip"}


def read(name: str) -> str:
    path = ROOT / name
    assert path.is_file(), f"{name} is missing from the repository root"
    return path.read_text()


def conda_name(pip_name: str) -> str:
    name = canonicalize_name(pip_name)
    return CONDA_NAMES.get(name, name)


class CondaSpec:
    """One conda match spec such as ``pytorch=2.13.0=cpu_*``, ``numpy>=1.26`` or ``tqdm``."""

    def __init__(self, text: str) -> None:
        match = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*", text)
        assert match, f"environment.yml: cannot read the dependency {text!r}"
        self.text = text
        self.name = canonicalize_name(match.group(1))
        rest = match.group(2)
        self.build = ""
        self.exact: str | None = None
        if rest.startswith("=") and not rest.startswith("=="):  # name=version[=build]
            version, _, self.build = rest[1:].partition("=")
            self.exact = version
            self.specifier = SpecifierSet(f"=={version}")
        else:
            self.specifier = SpecifierSet(rest)

    def __repr__(self) -> str:
        return self.text


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads(read("pyproject.toml"))


@pytest.fixture(scope="module")
def runtime_deps(pyproject) -> list[Requirement]:
    return [Requirement(d) for d in pyproject["project"]["dependencies"]]


@pytest.fixture(scope="module")
def test_deps(pyproject) -> list[Requirement]:
    return [Requirement(d) for d in pyproject["project"]["optional-dependencies"]["test"]]


@pytest.fixture(scope="module")
def environment() -> dict:
    return yaml.safe_load(read("environment.yml"))


@pytest.fixture(scope="module")
def conda_deps(environment) -> dict[str, CondaSpec]:
    specs = [CondaSpec(d) for d in environment["dependencies"] if isinstance(d, str)]
    by_name = {s.name: s for s in specs}
    assert len(by_name) == len(specs), f"environment.yml lists a package twice: {specs}"
    return by_name


@pytest.fixture(scope="module")
def pip_lines(environment) -> list[str]:
    nested = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(nested) <= 1, "environment.yml has more than one `pip:` list"
    return [str(line).strip() for line in (nested[0] if nested else [])]


def installs_package_with_test_extra(pip_lines: list[str]) -> bool:
    return any(re.fullmatch(r"""-e\s+["']?\.\[test\]["']?""", line) for line in pip_lines)


# ---- pyproject.toml <-> environment.yml --------------------------------------------------


def test_environment_yml_is_a_conda_forge_environment(environment, conda_deps):
    assert environment["name"]
    assert "conda-forge" in environment["channels"]
    assert "pip" in conda_deps  # needed for the `pip:` sub-list


def test_conda_python_satisfies_requires_python(pyproject, conda_deps):
    python = conda_deps["python"]
    assert python.exact is not None, f"environment.yml should pin python to one minor version, got {python}"
    assert Version(python.exact) in SpecifierSet(pyproject["project"]["requires-python"])


def test_every_runtime_dependency_is_in_environment_yml(runtime_deps, conda_deps):
    missing = [str(r) for r in runtime_deps if conda_name(r.name) not in conda_deps]
    assert not missing, f"in pyproject.toml but not in environment.yml: {missing}"


def test_every_test_dependency_is_in_environment_yml_or_installed_by_pip(test_deps, conda_deps, pip_lines):
    if installs_package_with_test_extra(pip_lines):
        return  # `pip install -e .[test]` brings the whole test extra
    missing = [str(r) for r in test_deps if conda_name(r.name) not in conda_deps]
    assert not missing, f"test extra not in environment.yml (and no `-e .[test]` pip line): {missing}"


def test_environment_yml_installs_the_package_itself_with_the_test_extra(pip_lines):
    assert installs_package_with_test_extra(pip_lines), f"environment.yml pip list lacks `-e .[test]`: {pip_lines}"


def test_environment_yml_lists_nothing_beyond_pyproject(runtime_deps, test_deps, conda_deps):
    allowed = set(CONDA_TOOLING)
    for r in runtime_deps + test_deps:
        allowed.add(conda_name(r.name))
        for extra in r.extras:
            allowed |= EXTRA_PACKAGES.get((canonicalize_name(r.name), extra), set())
    stale = sorted(set(conda_deps) - allowed)
    assert not stale, f"environment.yml lists packages pyproject.toml does not declare: {stale}"


def test_conda_versions_agree_with_pyproject(runtime_deps, test_deps, conda_deps):
    """A pinned conda version must satisfy pyproject's range; a conda range must equal it."""
    problems = []
    for r in runtime_deps + test_deps:
        spec = conda_deps.get(conda_name(r.name))
        if spec is None:
            continue
        if spec.exact is not None:
            if Version(spec.exact) not in r.specifier:
                problems.append(f"{spec} is outside pyproject's {r}")
        elif spec.specifier != r.specifier:
            problems.append(f"{spec} differs from pyproject's {r}")
    assert not problems, "; ".join(problems)


@pytest.mark.parametrize("name", ["ipywidgets", "jupyterlab"])
def test_notebook_stack_is_pinned_exactly_within_pyproject_range(name, runtime_deps, conda_deps):
    spec = conda_deps[name]
    assert spec.exact is not None and re.fullmatch(r"\d+\.\d+\.\d+", spec.exact), (
        f"environment.yml should pin {name} to an exact x.y.z version, got {spec}"
    )
    (requirement,) = [r for r in runtime_deps if canonicalize_name(r.name) == name]
    assert Version(spec.exact) in requirement.specifier, f"{spec} does not satisfy pyproject's {requirement}"


def test_conda_torch_is_the_cpu_build_of_the_pinned_version(runtime_deps, conda_deps):
    torch = conda_deps["pytorch"]
    assert torch.exact == TORCH_VERSION, f"environment.yml pytorch should be {TORCH_VERSION}, got {torch}"
    assert "cpu" in torch.build, f"environment.yml pytorch must be the CPU build (build string with 'cpu'): {torch}"
    (requirement,) = [r for r in runtime_deps if r.name == "torch"]
    assert Version(TORCH_VERSION) in requirement.specifier


# ---- the pip route: constraints.txt and the Makefile ---------------------------------------


def requirement_lines(text: str) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [Requirement(line) for line in lines if line]


def test_constraints_pin_torch():
    pins = {canonicalize_name(r.name): r for r in requirement_lines(read("constraints.txt"))}
    assert str(pins["torch"].specifier) == f"=={TORCH_VERSION}", pins


def makefile_recipe(target_pattern: str) -> list[str]:
    """The command lines of the first Makefile rule whose target matches ``target_pattern``."""
    lines = read("Makefile").splitlines()
    for i, line in enumerate(lines):
        if re.match(target_pattern, line):
            recipe = []
            for body in lines[i + 1 :]:
                if not body.startswith("\t"):
                    break
                recipe.append(body.strip())
            return recipe
    raise AssertionError(f"Makefile has no rule matching {target_pattern!r}")


def test_makefile_installs_torch_first_then_the_package_with_constraints():
    recipe = makefile_recipe(r"\$\(BIN\)/\.installed:")
    torch_lines = [i for i, c in enumerate(recipe) if "pip install" in c and f"torch=={TORCH_VERSION}" in c]
    package_lines = [i for i, c in enumerate(recipe) if "pip install" in c and re.search(r"-e\s+\"?\.\[test\]", c)]
    assert torch_lines, f"Makefile does not `pip install torch=={TORCH_VERSION}`: {recipe}"
    assert package_lines, f"Makefile does not `pip install -e .[test]`: {recipe}"
    assert torch_lines[0] < package_lines[0], "Makefile must install torch before the package"
    assert "-c constraints.txt" in recipe[package_lines[0]], recipe[package_lines[0]]


def test_makefile_rebuilds_when_the_pins_change():
    header = next(line for line in read("Makefile").splitlines() if line.startswith("$(BIN)/.installed:"))
    assert {"pyproject.toml", "constraints.txt"} <= set(header.split(":", 1)[1].split())


def test_makefile_has_the_readme_targets():
    assert any("pytest" in c for c in makefile_recipe(r"test:"))
    assert any("jupyter lab" in c for c in makefile_recipe(r"lab:"))


# ---- CI and README --------------------------------------------------------------------------


def test_ci_runs_make_test():
    text = read(".ci/run")
    commands = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert "make test" in commands, f".ci/run does not call `make test`: {commands}"
    assert os.access(ROOT / ".ci/run", os.X_OK), ".ci/run is not executable"


def readme_code() -> str:
    """Everything in README.md's fenced code blocks and inline code spans."""
    text = read("README.md")
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S)
    outside = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.M | re.S)
    inline = re.findall(r"`([^`\n]+)`", outside)
    return "\n".join(fenced + inline)


@pytest.mark.parametrize("command", ["make test", "make lab"])
def test_readme_shows_the_make_commands(command):
    code = readme_code()
    assert re.search(rf"(^|\s|\$ ){re.escape(command)}\b", code, flags=re.M), f"README.md does not show `{command}`"

"""The package's shape: the public API from the stub, the old paths forwarding, the layout's
rules that import-linter does not check (private names used across modules)."""

import ast
import importlib
import subprocess
import sys
import types
import warnings
from pathlib import Path

import pytest

import artifact_lab as al
from artifact_lab import _compat

PACKAGE = Path(al.__file__).parent


def test_dir_lists_the_stub_and_nothing_else():
    names = dir(al)
    assert names == sorted(set(names)) == sorted(al.__all__)
    assert not {"Any", "TYPE_CHECKING", "importlib", "sys", "types", "_lazy"} & set(names)
    stub = ast.parse((PACKAGE / "__init__.pyi").read_text())
    declared = {
        a.asname or a.name
        for node in stub.body
        if isinstance(node, ast.ImportFrom)
        for a in node.names
    }
    assert declared == set(names)


@pytest.mark.parametrize("name", sorted(al.__all__))
def test_every_public_name_resolves(name):
    value = getattr(al, name)
    assert value is not None
    if isinstance(value, types.ModuleType):
        assert value.__name__.startswith("artifact_lab.")


def test_importing_the_package_stays_light():
    code = (
        "import sys, artifact_lab as al; al.output_size(4, 3, 2); heavy = ('torch', 'pandas', "
        "'matplotlib', 'nbformat'); print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("old", sorted(_compat.MOVED))
def test_old_module_paths_forward_with_a_deprecation_warning(old):
    name = f"artifact_lab.{old}"
    code = (
        "import warnings, importlib; warnings.simplefilter('always');\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        f"    m = importlib.import_module({name!r})\n"
        "print(any(issubclass(x.category, DeprecationWarning) for x in w));\n"
        "new = importlib.import_module('artifact_lab.' + "
        f"{_compat.MOVED[old][0]!r});\n"
        "print(all(getattr(m, n) is getattr(new, n) for n in getattr(new, '__all__', ())))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"], out.stderr


def test_an_old_path_does_not_hide_the_function_of_the_same_name():
    code = (
        "import warnings; warnings.simplefilter('ignore');\n"
        "import artifact_lab as al, artifact_lab.sweep, artifact_lab.audit\n"
        "print(callable(al.sweep), callable(al.audit), al.output_size(4, 3, 2))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "9"]


def test_a_name_an_old_module_never_had_is_an_attribute_error():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = importlib.import_module("artifact_lab.kernels")
    with pytest.raises(AttributeError, match="no 'nothing_here'"):
        old.nothing_here  # noqa: B018


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def test_no_module_imports_another_modules_private_names():
    """A ``_name`` is its module's own: a name another module needs is public where it lives."""
    modules = dict(_modules())
    found = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.level == 0:
                continue
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and f"{target}.{alias.name}" not in modules and target != name:
                    found.append(f"{name} imports {target}.{alias.name}")
    assert not found, found

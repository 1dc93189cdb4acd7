"""Issue 9: every public function and class of ``qpcnn_edu.lab`` and ``qpcnn_edu.viz`` has a ``>>>`` example."""

import importlib
import inspect
import pkgutil

import pytest

import qpcnn_edu.lab
import qpcnn_edu.viz

MODULES = sorted(f"{package.__name__}.{info.name}" for package in (qpcnn_edu.lab, qpcnn_edu.viz)
                 for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_"))


@pytest.mark.parametrize("name", MODULES)
def test_public_names_have_an_example(name):
    module = importlib.import_module(name)
    public = [getattr(module, attr) for attr in getattr(module, "__all__", ())]
    defined = [obj for obj in public if (inspect.isfunction(obj) or inspect.isclass(obj))
               and getattr(obj, "__module__", None) == name]
    missing = [obj.__name__ for obj in defined if ">>>" not in (inspect.getdoc(obj) or "")]
    assert not missing, f"{name}: these public names have no '>>>' example in their docstring: {', '.join(missing)}"


def test_modules_found():
    assert "qpcnn_edu.lab.experiments" in MODULES and "qpcnn_edu.viz.bloch" in MODULES

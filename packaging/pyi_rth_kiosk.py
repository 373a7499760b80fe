"""PyInstaller runtime hook: runs before any app code inside the frozen kiosk.

1. matplotlib is not bundled (about 60 MB with its fonts, kiwisolver, fontTools), but
   `mediapipe.tasks.python.vision` imports `matplotlib.pyplot` at module level for its drawing
   utilities, which the kiosk never calls. A stub package satisfies that import; any real use
   raises ImportError naming the reason.
2. DeepFace's home is the bundle's verified models folder, so it finds the Dlib weights and
   never tries to download.
"""

import importlib.abc
import importlib.machinery
import os
import sys
import types

_STUBBED = ("matplotlib",)


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(f"{self.__name__}.{name}: matplotlib is not part of the kiosk bundle "
                          "(only MediaPipe's unused drawing helpers import it)")


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] not in _STUBBED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        module = _StubModule(spec.name)
        module.__path__ = []
        module.__kiosk_stub__ = True
        return module

    def exec_module(self, module):
        return None


def _matplotlib_is_bundled():
    try:
        import importlib.util
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):
        return False


if not _matplotlib_is_bundled():
    sys.meta_path.append(_StubFinder())

_root = getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))
_models = os.environ.get("KIOSK_MODELS_DIR") or os.path.join(_root, "models")
os.environ.setdefault("DEEPFACE_HOME", _models)

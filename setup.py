"""Build hook: everything else is in pyproject.toml.

It discovers the packages under the roots that `package-dir` maps (pyproject.toml), so adding a
sub-package needs no list edit, and it installs one extra file, `synthetic_persona_chat-datasets.pth`, at the root of site-packages, so that
`datasets.load_dataset("synthetic_persona_chat", ...)` resolves to our builder in every interpreter
(see builder/datasets_hook.py). setuptools has no declarative option for a root-level .pth file, so
`build_py` writes it: into the build tree for wheels, and into the editable wheel for `pip install -e`.
"""

from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

PTH_NAME = "synthetic_persona_chat-datasets.pth"
PTH_LINE = "import synthetic_persona_chat.builder.datasets_hook as _spc_hook; _spc_hook.install()\n"


# repository folder -> import name; must match [tool.setuptools] package-dir in pyproject.toml
PACKAGE_ROOTS = {"synthetic_persona_chat": "synthetic_persona_chat", "builder": "synthetic_persona_chat.builder",
                 "eval": "synthetic_persona_chat.eval", "model_cards": "synthetic_persona_chat.model_cards"}


def discover_packages() -> list[str]:
    """Every package under each mapped root, named under the synthetic_persona_chat namespace."""
    found = []
    for folder, name in PACKAGE_ROOTS.items():
        found.append(name)
        found += [f"{name}.{sub}" for sub in find_packages(folder)]
    return sorted(set(found))


class build_py_with_pth(build_py):
    def run(self):
        super().run()
        # editable_wheel points `install_lib` at the editable wheel's root; a normal build copies build_lib.
        root = self.get_finalized_command("install").install_lib if self.editable_mode else self.build_lib
        target = Path(root, PTH_NAME)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(PTH_LINE, encoding="utf-8")
        self._pth = None if self.editable_mode else str(target)

    def get_outputs(self, include_bytecode=True):
        return [*super().get_outputs(include_bytecode), *([self._pth] if getattr(self, "_pth", None) else [])]


setup(packages=discover_packages(), cmdclass={"build_py": build_py_with_pth})

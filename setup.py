"""Build script: which packages go into the wheel. Everything else is declared in pyproject.toml.

The top-level `templates/` and `static/` folders stay where the project keeps them and are installed
as the data packages `server/templates` and `server/static` (found at run time by
`server.render.bundled`); a static `[tool.setuptools.packages.find]` cannot map folders from outside
a package, hence this file. Must not hold metadata, dependencies or build logic beyond that mapping.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

DATA_DIRS = {"server.templates": "templates", "server.static": "static"}


def data_packages() -> list[str]:
    """The data folders and their importable-looking subfolders (setuptools warns about undeclared ones).

    Subfolders such as `swagger-ui-5.35.0` are not package names; their files travel as package data of
    the parent through the `**` globs in pyproject.toml.
    """
    names = []
    for package, folder in DATA_DIRS.items():
        names.append(package)
        for sub in sorted(p.relative_to(folder) for p in Path(folder).rglob("*") if p.is_dir()):
            if all(part.isidentifier() for part in sub.parts):
                names.append(".".join((package, *sub.parts)))
    return names


setup(
    packages=find_namespace_packages(include=["server*", "surveys*", "analysis*"], exclude=["*.__pycache__"])
    + data_packages(),
    package_dir=DATA_DIRS,
)

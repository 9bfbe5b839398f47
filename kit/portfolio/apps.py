"""Find the Mule applications under the paths a user gives, and their files.

An app is a folder holding ``src/main/mule`` (Mule 4) or ``src/main/app``
(Mule 3). XML files outside that layout form a loose app named after their folder.
File paths are kept as strings: a portfolio has tens of thousands of them.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kit.errors import InputError

MULE4_SOURCES = os.path.join("src", "main", "mule")
MULE3_SOURCES = os.path.join("src", "main", "app")
RESOURCES = os.path.join("src", "main", "resources")
PROPERTY_SUFFIXES = (".properties", ".yaml", ".yml")
# Resource folders that hold API specifications (OpenAPI, RAML, JSON schemas
# and examples), whose YAML files are not property files.
_API_FOLDERS = frozenset({"api", "schemas", "examples", "exchange_modules"})
# How many parent folders may be added to tell apps of the same name apart.
MAX_NAME_DEPTH = 8
_SKIPPED_FOLDERS = {".git", "target", "node_modules", ".mule", "test", ".venv"}


@dataclass
class AppFolder:
    """One app to assess: its name, root, layout version and files."""

    name: str
    root: str
    mule_version: int | None
    xml_files: list[str] = field(default_factory=list)
    property_files: list[str] = field(default_factory=list)

    def relative(self, path: str) -> str:
        """The path as shown to users: relative to the app root, with slashes."""
        if path.startswith(self.root + os.sep):
            path = path[len(self.root) + 1 :]
        else:  # a file given by itself, as ``a.xml`` in the folder ``.``
            path = os.path.relpath(path, self.root)
        return path.replace(os.sep, "/")


def find_apps(paths: list[Path]) -> list[AppFolder]:
    """Return the apps under ``paths``, in a stable order, each named once.

    Raises :class:`InputError` for a path that does not exist.
    """
    apps: list[AppFolder] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"no such file or folder: {str(path)!r}; check the path")
        apps.extend(_apps_under(os.path.normpath(path)))
    return _unique_names(_each_folder_once(apps))


def _each_folder_once(apps: list[AppFolder]) -> list[AppFolder]:
    """One app per folder: a folder given twice, or files of one folder given
    one by one, make one app with each file once."""
    seen: dict[str, AppFolder] = {}
    for app in apps:
        first = seen.setdefault(os.path.realpath(app.root), app)
        if first is not app:
            first.xml_files = _merged(first.xml_files, app.xml_files)
            first.property_files = _merged(first.property_files, app.property_files)
    return list(seen.values())


def _merged(first: list[str], second: list[str]) -> list[str]:
    """The files of both lists, each once, in the order first met."""
    return list(dict.fromkeys([*first, *second]))


def _layout_version(folder: str) -> int | None:
    if os.path.isdir(os.path.join(folder, MULE4_SOURCES)):
        return 4
    if os.path.isdir(os.path.join(folder, MULE3_SOURCES)):
        return 3
    return None


def _apps_under(path: str) -> list[AppFolder]:
    if os.path.isfile(path):
        parent = os.path.dirname(path) or "."
        return [AppFolder(_folder_name(parent), parent, None, [path])]
    version = _layout_version(path)
    if version is not None:
        return [_laid_out_app(path, version)]

    apps: list[AppFolder] = []
    loose: list[AppFolder] = []
    for folder, subfolders, files in os.walk(path):
        subfolders.sort()
        kept = []
        for name in subfolders:
            child = os.path.join(folder, name)
            child_version = _layout_version(child)
            if child_version is not None:
                apps.append(_laid_out_app(child, child_version))
            elif name not in _SKIPPED_FOLDERS:
                kept.append(name)
        subfolders[:] = kept
        xml_files = sorted(name for name in files if name.endswith(".xml"))
        if xml_files:
            app = AppFolder(_folder_name(folder), folder, None)
            app.xml_files = [os.path.join(folder, name) for name in xml_files]
            app.property_files = sorted(
                os.path.join(folder, name)
                for name in files
                if name.endswith(PROPERTY_SUFFIXES)
            )
            loose.append(app)
    return apps + loose


def _laid_out_app(root: str, version: int) -> AppFolder:
    sources = os.path.join(root, MULE4_SOURCES if version == 4 else MULE3_SOURCES)
    property_files = [
        file
        for folder in (os.path.join(root, RESOURCES), sources)
        for file in _files_under(folder, PROPERTY_SUFFIXES, _API_FOLDERS)
    ]
    return AppFolder(
        name=_folder_name(root),
        root=root,
        mule_version=version,
        xml_files=sorted(_files_under(sources, (".xml",))),
        property_files=sorted(property_files),
    )


def _files_under(
    folder: str, suffixes: tuple[str, ...], skipped: frozenset[str] = frozenset()
) -> list[str]:
    """Files under ``folder`` with one of ``suffixes``, outside ``skipped`` folders."""
    found = []
    for here, subfolders, files in os.walk(folder):
        subfolders[:] = [name for name in subfolders if name not in skipped]
        found.extend(
            os.path.join(here, name) for name in files if name.endswith(suffixes)
        )
    return found


def _folder_name(folder: str) -> str:
    """The folder's own name, also for ``.`` or a trailing ``..``."""
    name = os.path.basename(folder)
    return name if name not in ("", ".", "..") else Path(folder).resolve().name


def _unique_names(apps: list[AppFolder]) -> list[AppFolder]:
    """Give apps that share a name their parents' names, as many as it takes.

    Two apps named ``orders`` in ``t1/svc`` and ``t2/svc`` become
    ``t1/svc/orders`` and ``t2/svc/orders``. (A folder given twice was made one
    app before, so names always come apart.)
    """
    for depth in range(1, MAX_NAME_DEPTH + 1):
        counts = Counter(app.name for app in apps)
        clashing = [app for app in apps if counts[app.name] > 1]
        if not clashing:
            break
        for app in clashing:
            app.name = _name_with_parents(app.root, depth)
    return apps


def _name_with_parents(root: str, parents: int) -> str:
    """The folder's name after ``parents`` of its parent folders' names."""
    names = [_folder_name(root)]
    folder = os.path.abspath(root)
    for _ in range(parents):
        folder = os.path.dirname(folder)
        names.insert(0, _folder_name(folder))
    return "/".join(names)

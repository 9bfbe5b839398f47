"""Find the Mule applications under the paths a user gives, and their files.

An app is a folder holding ``src/main/mule`` (Mule 4) or ``src/main/app``
(Mule 3). XML files outside that layout form a loose app named after their folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kit.errors import InputError

MULE4_SOURCES = Path("src/main/mule")
MULE3_SOURCES = Path("src/main/app")
PROPERTY_SUFFIXES = (".properties", ".yaml", ".yml")
_SKIPPED_FOLDERS = {".git", "target", "node_modules", ".mule", "test", ".venv"}


@dataclass
class AppFolder:
    """One app to assess: its name, root, layout version and files."""

    name: str
    root: Path
    mule_version: int | None
    xml_files: list[Path] = field(default_factory=list)
    property_files: list[Path] = field(default_factory=list)

    def relative(self, path: Path) -> str:
        """The path as shown to users: relative to the app root, with slashes."""
        return path.relative_to(self.root).as_posix()


def find_apps(paths: list[Path]) -> list[AppFolder]:
    """Return the apps under ``paths``, in a stable order, each named once.

    Raises :class:`InputError` for a path that does not exist.
    """
    apps: list[AppFolder] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"no such file or folder: {str(path)!r}; check the path")
        apps.extend(_apps_under(path))
    return _unique_names(apps)


def _layout_version(folder: Path) -> int | None:
    if (folder / MULE4_SOURCES).is_dir():
        return 4
    if (folder / MULE3_SOURCES).is_dir():
        return 3
    return None


def _apps_under(path: Path) -> list[AppFolder]:
    if path.is_file():
        loose = AppFolder(path.parent.resolve().name, path.parent, None, [path])
        return [loose]
    version = _layout_version(path)
    if version is not None:
        return [_laid_out_app(path, version)]

    apps: list[AppFolder] = []
    loose: dict[Path, AppFolder] = {}
    for folder, subfolders, files in os.walk(path):
        here = Path(folder)
        subfolders.sort()
        kept = []
        for name in subfolders:
            child = here / name
            child_version = _layout_version(child)
            if child_version is not None:
                apps.append(_laid_out_app(child, child_version))
            elif name not in _SKIPPED_FOLDERS:
                kept.append(name)
        subfolders[:] = kept
        for name in sorted(files):
            if name.endswith(".xml"):
                app = loose.setdefault(here, AppFolder(here.resolve().name, here, None))
                app.xml_files.append(here / name)
    for app in loose.values():
        app.property_files = sorted(
            file for file in app.root.iterdir() if file.suffix in PROPERTY_SUFFIXES
        )
    return apps + list(loose.values())


def _laid_out_app(root: Path, version: int) -> AppFolder:
    sources = root / (MULE4_SOURCES if version == 4 else MULE3_SOURCES)
    resources = root / "src/main/resources"
    property_files = [
        file
        for folder in (resources, sources)
        if folder.is_dir()
        for file in folder.rglob("*")
        if file.suffix in PROPERTY_SUFFIXES and file.is_file()
    ]
    return AppFolder(
        name=root.resolve().name,
        root=root,
        mule_version=version,
        xml_files=sorted(sources.rglob("*.xml")),
        property_files=sorted(property_files),
    )


def _unique_names(apps: list[AppFolder]) -> list[AppFolder]:
    """Give apps that share a folder name their parent's name as well."""
    counts: dict[str, int] = {}
    for app in apps:
        counts[app.name] = counts.get(app.name, 0) + 1
    for app in apps:
        if counts[app.name] > 1:
            app.name = f"{app.root.resolve().parent.name}/{app.name}"
    return apps

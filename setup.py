"""Packaging beyond pyproject.toml: the top-level resources/ folder ships as convlab.resources."""

import re
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

RESOURCES = [
    "convlab.resources",
    "convlab.resources.images",
    "convlab.resources.icons",
    "convlab.resources.help",
]


class BuildPy(build_py):
    """resources/ keeps the scripts that drew its pictures; the wheel ships the pictures only,
    and the guided tour (docs/tour.md with its pictures), which Help shows in the app."""

    def find_package_modules(self, package, package_dir):
        modules = super().find_package_modules(package, package_dir)
        if package in RESOURCES[1:]:
            return []
        return modules

    def run(self):
        super().run()
        tour = Path("docs", "tour.md")
        if not tour.is_file():  # a source tree without the docs: the app says where it is
            return
        target = Path(self.build_lib, "convlab", "resources", "docs")
        (target / "images").mkdir(parents=True, exist_ok=True)
        shutil.copy2(tour, target / "tour.md")
        for picture in re.findall(r"\]\((images/[^)]+\.png)\)", tour.read_text("utf-8")):
            shutil.copy2(tour.parent / picture, target / picture)


setup(
    packages=[*find_packages(include=["convlab*"]), *RESOURCES],
    package_dir={"convlab.resources": "resources"},
    package_data={
        "convlab.resources.images": ["*.jpg", "*.png", "LICENSE.md"],
        "convlab.resources.icons": ["*.png"],
        "convlab.resources.help": ["*.png", "*.jpg"],  # the help windows' pictures
    },
    cmdclass={"build_py": BuildPy},
)

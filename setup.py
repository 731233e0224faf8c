"""Packaging beyond pyproject.toml: the top-level resources/ folder ships as convlab.resources."""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

RESOURCES = ["convlab.resources", "convlab.resources.images", "convlab.resources.icons"]


class BuildPy(build_py):
    """resources/ keeps the scripts that drew its pictures; the wheel ships the pictures only."""

    def find_package_modules(self, package, package_dir):
        modules = super().find_package_modules(package, package_dir)
        if package in RESOURCES[1:]:
            return []
        return modules


setup(
    packages=[*find_packages(include=["convlab*"]), *RESOURCES],
    package_dir={"convlab.resources": "resources"},
    package_data={
        "convlab.resources.images": ["*.jpg", "*.png", "LICENSE.md"],
        "convlab.resources.icons": ["*.png"],
    },
    cmdclass={"build_py": BuildPy},
)

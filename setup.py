"""The one packaging fact pyproject.toml cannot state: the package list plus ``contentgen.prompts``.

The prompt templates live in the top-level ``prompts/`` folder (copywriters edit them there);
``package-dir`` in pyproject.toml maps that folder to ``contentgen/prompts`` inside the wheel,
and a mapped folder is only packaged when it is listed here next to the discovered packages.
"""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["contentgen", "contentgen.*"]) + ["contentgen.prompts"])

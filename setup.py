"""Only the optional C scanner lives here; everything else is in pyproject.toml.

Without a C compiler the package still installs and works: the reader then uses
python-calamine for every workbook (slower in a batch of thousands, same results).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("xlreport.xlsx._xlsxscan", ["xlreport/xlsx/_xlsxscan.c"], optional=True)])

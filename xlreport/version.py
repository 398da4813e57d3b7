"""The version, in the lowest layer: the workbook's stamp and the CLI take it from here."""

__version__ = "0.1.0"

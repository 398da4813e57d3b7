"""Workbooks: sheet XML within limits to cells to the report; the writer; the annotated copy."""

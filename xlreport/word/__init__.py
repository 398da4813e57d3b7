"""The Word report: its context, the template (checked and sandboxed), rendering, PDF."""

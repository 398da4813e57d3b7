"""The rules run on a report: the format's, last year's, the prose, accepted exceptions."""

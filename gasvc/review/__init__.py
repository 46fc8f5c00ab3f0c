"""`gas review`: a local web page for reviewing a diff (see docs/review.md)."""

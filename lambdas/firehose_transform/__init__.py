"""The Firehose data-transformation Lambda (deployed with `handler.py` at the zip's root)."""

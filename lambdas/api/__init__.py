"""The dashboard API and UI Lambda (deployed with `handler.py` at the zip's root)."""

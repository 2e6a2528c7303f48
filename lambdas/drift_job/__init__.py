"""EventBridge Scheduler -> the drift job (container image: Evidently is too large for a zip)."""

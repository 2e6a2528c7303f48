"""EventBridge Scheduler -> one alert evaluation pass (rules, state, notifications)."""

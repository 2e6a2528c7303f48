"""The HTTP service: the local collector, health and metrics (`create_app(settings, deps)`)."""

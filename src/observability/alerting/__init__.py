"""Alerting: rules over drift, errors, latency and absence; routing; notifiers."""

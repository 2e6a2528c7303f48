"""The pure record transform used by the Firehose Lambda and the local collector."""

"""Local-directory and S3 stores with the same keys, refused-record files, compaction."""

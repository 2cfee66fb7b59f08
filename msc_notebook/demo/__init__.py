"""The embedded demo: a local S3 server that checks signatures, sample data and a config."""

"""Google Cloud Storage: V4 signed URLs from service-account keys and keyless identities."""

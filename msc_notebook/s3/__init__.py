"""S3 and S3-compatible storage: SigV4 presigned URLs (botocore's, and a byte-identical fast
path), the profile's location and AWS credentials, and ``s3://`` URLs."""

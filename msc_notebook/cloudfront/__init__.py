"""CloudFront signed URLs and cookies for S3-family profiles, canned or custom (wildcard) policies."""

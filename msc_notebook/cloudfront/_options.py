"""The CloudFront signer's options and what each means, in one place that imports nothing:
the signer, the request's cross-field rules and every front end's help text read it."""

REQUIRED_OPTIONS = ("key_pair_id", "private_key_path", "domain")
# Every CloudFront option with what it means, once: the signer, the magic, the CLI and
# the form all read this.
OPTION_HELP = {
    "key_pair_id": "CloudFront key pair id (K2JCJMDEHXQW5F)",
    "private_key_path": "the key pair's RSA private key (PEM file)",
    "domain": "the distribution's domain (d111111abcdef8.cloudfront.net)",
    "origin_path": "the distribution's origin path, taken off the object key",
    "not_before": "not valid before this ISO-8601 time (with Z or an offset)",
    "ip_range": "only from this address or CIDR range",
}

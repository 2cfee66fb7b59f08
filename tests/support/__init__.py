"""Helpers the tests share: real peers (Azurite, Chromium, STS), verifiers written from the specs, an HTTP client."""

"""One link to everything under a prefix: listing, signing at one instant, the manifest, and the
recipient's helpers."""

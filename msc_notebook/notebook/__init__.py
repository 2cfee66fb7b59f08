"""The notebook layer: magics, rich display and widgets over the signer library."""

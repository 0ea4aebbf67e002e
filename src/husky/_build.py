"""Build stamp: a release build rewrites these two values; a source checkout keeps them."""

COMMIT = "none"
BUILT = "unknown"

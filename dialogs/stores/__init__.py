"""Session stores: the port (`base`), an in-memory store and a Redis store."""

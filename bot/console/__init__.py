"""The terminal chat: the advisor on stdin and stdout."""

"""The Open API v1 client."""

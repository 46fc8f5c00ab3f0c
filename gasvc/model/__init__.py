"""Pure code shared by the client and the server: names, canonical JSON, hashes."""

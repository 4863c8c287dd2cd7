"""HTTP routes: api (JSON), pages (HTML), docs (offline API docs)."""

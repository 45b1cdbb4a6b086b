"""What the tests share, and nothing else: the settings and database they run on
(`database`), rows made through the domain functions (`factories`), a typed GraphQL client
(`graphql`) and the documents it sends (`documents`), real server processes (`live_server`),
the CLI as an operator runs it (`cli`), the limiter's apps and Redis (`limiter`), the server's
logging captured (`logging_capture`) and a real webhook receiver (`webhook_receiver`).

Tests import from here; fixtures live in the conftest.py files; no test module imports
another."""

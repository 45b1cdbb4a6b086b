"""What the tests share, and nothing else: the settings and database they run on
(`database`), rows made through the domain functions (`factories`, and `ordering` for lists
with ties and nulls), a typed GraphQL client (`graphql`) and the documents several modules
send (`documents`), real server processes (`live_server`), the CLI as an operator runs it
(`cli`), the limiter's apps and Redis (`limiter`), the server's logging captured
(`logging_capture`), a real webhook receiver (`webhook_receiver`), Chromium for the browser
tests (`browser`) and the repository's paths (`paths`).

Tests import from here; fixtures live in the conftest.py files; no test module imports
another."""

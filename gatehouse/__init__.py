"""Gatehouse: the GraphQL backend for an admin portal's users and API keys."""

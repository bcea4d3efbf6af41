"""Helpers for the wsgate end-to-end tests: the server process, a recording HTTP backend,
signed management-API calls and WebSocket client utilities."""

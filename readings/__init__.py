"""Readings: every measurement a station sent, and the one path by which they are stored."""

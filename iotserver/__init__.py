"""Home weather station server: project settings and wiring."""

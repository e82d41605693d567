"""Configuration: the settings document, environment overrides and secret masking."""

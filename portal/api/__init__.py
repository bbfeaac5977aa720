"""HTTP API of the portal layer (accounts, health, notifications, audit log)."""

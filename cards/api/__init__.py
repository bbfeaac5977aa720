"""HTTP API of the card layer (API.md "Cards")."""

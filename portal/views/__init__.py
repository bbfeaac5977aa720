"""Server-rendered pages of the portal layer, split by audience."""

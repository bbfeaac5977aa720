"""Identity, departments, audit log, notifications and the site shell (the lowest layer)."""

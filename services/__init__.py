"""Green-channel requests: catalogue, calendar, SLA clocks, reminders, supervision (top layer)."""

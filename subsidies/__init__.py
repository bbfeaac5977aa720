"""政策直达快享: talent subsidies offered and paid without an application (issue 15).

A layer above services (the working-day calendar, the supervision sweep, the dashboard),
cards (the card whose issue, renewal or change offers entitlements) and portal.
"""

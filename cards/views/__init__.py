"""Server-rendered pages of the card layer, split by audience: talent, manage (organization
department), verify (service-point verifiers). Every page is a thin caller of the domain
functions in cards.applications, cards.issuance and cards.qr."""

"""The talent card: criteria, applications, cards and QR verification (middle layer)."""

"""Phone numbers encrypted at rest, step 2 of 3: every stored number and delivery address
encrypted (and hashed where rows are looked up by phone), in batches. Reversible: the way back
decrypts into the plaintext columns 0012 re-creates when it is reversed."""

from django.db import migrations

BATCH = 2000


def _batches(queryset):
    rows = []
    for row in queryset.order_by("pk").iterator(chunk_size=BATCH):
        rows.append(row)
        if len(rows) == BATCH:
            yield rows
            rows = []
    if rows:
        yield rows


def encrypt(apps, schema_editor):
    from portal import crypto
    from portal.identity import mask_email, mask_phone

    User = apps.get_model("portal", "User")
    for rows in _batches(User.objects.exclude(phone="")):
        for user in rows:
            user.phone_encrypted = crypto.seal(user.phone)
            user.phone_hash = crypto.phone_digest(user.phone)
        User.objects.bulk_update(rows, ["phone_encrypted", "phone_hash"])

    SmsOutbox = apps.get_model("portal", "SmsOutbox")
    for rows in _batches(SmsOutbox.objects.exclude(phone="")):
        for row in rows:
            row.phone_encrypted = crypto.seal(row.phone)
            row.phone_hash = crypto.phone_digest(row.phone)
        SmsOutbox.objects.bulk_update(rows, ["phone_encrypted", "phone_hash"])

    Delivery = apps.get_model("portal", "Delivery")
    for rows in _batches(Delivery.objects.exclude(address="")):
        for row in rows:
            row.address_encrypted = crypto.seal(row.address)
            # A mail server's refusal names the recipient: kept masked from now on.
            masked = mask_phone(row.address) if row.channel == "sms" else mask_email(row.address)
            row.last_error = row.last_error.replace(row.address, masked)
        Delivery.objects.bulk_update(rows, ["address_encrypted", "last_error"])


def decrypt(apps, schema_editor):
    from portal import crypto

    for model, plain, sealed in (
        ("User", "phone", "phone_encrypted"),
        ("SmsOutbox", "phone", "phone_encrypted"),
        ("Delivery", "address", "address_encrypted"),
    ):
        Model = apps.get_model("portal", model)
        for rows in _batches(Model.objects.exclude(**{sealed: ""})):
            for row in rows:
                setattr(row, plain, crypto.unseal(getattr(row, sealed)))
            Model.objects.bulk_update(rows, [plain])


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0010_phones_encrypted"),
    ]

    operations = [
        migrations.RunPython(encrypt, decrypt, elidable=True),
    ]

import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from portal.identity import normalize_mobile
from portal.models import SmsOutbox


class Command(BaseCommand):
    help = (
        "显示默认短信后端（发件箱）最近“发出”的短信，每行一条 JSON："
        '{"at", "phone", "text"}，号码打码显示（如 138****2688）。接入真实短信网关后此处为空。'
    )

    def add_arguments(self, parser):
        parser.add_argument("--phone", help="只看发往该号码的短信")
        parser.add_argument("--limit", type=int, default=20, help="最多显示几条（默认 20）")

    def handle(self, *args, **options):
        rows = SmsOutbox.objects.order_by("-created_at", "-id")
        if options["phone"]:
            try:
                phone = normalize_mobile(options["phone"])
            except Exception:  # an operator's typo: match it as typed
                phone = options["phone"].strip()
            # Numbers are stored encrypted: found by their keyed hash, shown masked.
            rows = rows.to_phone(phone)
        for row in rows[: max(1, options["limit"])]:
            line = {
                "at": timezone.localtime(row.created_at).isoformat(),
                "phone": row.phone_masked,
                "text": row.text,
            }
            self.stdout.write(json.dumps(line, ensure_ascii=False))

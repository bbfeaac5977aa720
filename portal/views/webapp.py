"""The web app manifest (/manifest.webmanifest), so that the portal can be added to a phone's
home screen as 巴州优才卡. Its icons are static PNGs drawn once by ``manage.py make_icons``."""

import json

from django.http import HttpResponse
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

BRAND = "#b71c1c"  # site.css --brand
BACKGROUND = "#ffffff"
# (file under static/icons/, side, purpose)
ICONS = (
    ("icons/icon-192.png", 192, "any"),
    ("icons/icon-512.png", 512, "any"),
    ("icons/icon-maskable-512.png", 512, "maskable"),
)


def manifest_data() -> dict:
    return {
        "name": "巴州优才卡",
        "short_name": "优才卡",
        "description": "巴中市巴州区人才服务平台：优才卡申请、出示与核验，人才服务绿色通道。",
        "lang": "zh-CN",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": BRAND,
        "background_color": BACKGROUND,
        "icons": [
            {
                "src": static(path),
                "sizes": f"{side}x{side}",
                "type": "image/png",
                "purpose": purpose,
            }
            for path, side, purpose in ICONS
        ],
    }


@require_safe
@cache_control(public=True, max_age=86400)
def manifest(request):
    body = json.dumps(manifest_data(), ensure_ascii=False)
    return HttpResponse(body, content_type="application/manifest+json; charset=utf-8")

"""Installs PortalAdminSite as the default admin site (kept free of model imports, because
INSTALLED_APPS loads it before the app registry is ready)."""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"

"""Pages of the green-channel layer."""

from django.urls import path

from services.views import (
    calendar,
    calendar_recompute,
    calendar_upkeep,
    catalogue,
    dashboard,
    desk,
    exports,
    manage,
    supervision,
    talent,
)

app_name = "services"

urlpatterns = [
    # Everyone: the catalogue and each service's 办事指南.
    path("services/", catalogue.catalogue, name="catalogue"),
    path("services/<str:code>/", catalogue.guide, name="guide"),
    # Talent. The domain's notifications link to /requests/<number>/.
    path("services/<str:code>/apply/", talent.apply, name="apply"),
    path("requests/", talent.my_requests, name="requests"),
    path("requests/<str:number>/", talent.request_detail, name="request"),
    path("requests/<str:number>/comment/", talent.comment, name="comment"),
    path("requests/<str:number>/attach/", talent.attach, name="attach"),
    path("requests/<str:number>/supply-info/", talent.supply_info, name="supply-info"),
    path("requests/<str:number>/withdraw/", talent.withdraw, name="withdraw"),
    path("requests/<str:number>/rate/", talent.rate, name="rate"),
    # Everyone who may see the request: its files.
    path(
        "requests/<str:number>/attachments/<int:pk>/",
        talent.attachment_download,
        name="attachment",
    ),
    # Staff and leads. Notifications link to /desk/requests/<number>/.
    path("desk/", desk.queue, name="desk"),
    path("desk/requests/<str:number>/", desk.request_detail, name="desk-request"),
    path("desk/requests/<str:number>/<slug:action>/", desk.request_action, name="desk-action"),
    # Organization department.
    path("manage/requests/", manage.request_list, name="manage"),
    path("manage/requests/<str:number>/", manage.request_detail, name="manage-request"),
    path(
        "manage/requests/<str:number>/<slug:action>/",
        manage.request_action,
        name="manage-action",
    ),
    # Supervision (admins; leads for their own department; the calendar also for staff).
    path("manage/dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("manage/supervision/", supervision.supervision_list, name="supervision"),
    # Background exports started from the dashboard without JavaScript, and their pages.
    path("manage/exports/", exports.export_start_page, name="export-start"),
    path("manage/exports/<int:pk>/", exports.export_job_page, name="export-job"),
    path(
        "manage/supervision/<str:number>/<slug:action>/",
        supervision.supervision_action,
        name="supervision-action",
    ),
    path("manage/calendar/", calendar.calendar_view, name="calendar"),
    path(
        "manage/calendar/recomputes/<int:pk>/",
        calendar_recompute.calendar_recompute_status,
        name="calendar-recompute",
    ),
    # Calendar upkeep (admins): the State Council's arrangement as CSV, and one day's page.
    path("manage/calendar/import/", calendar_upkeep.calendar_upload, name="calendar-import"),
    path("manage/calendar/days/<str:day>/", calendar_upkeep.calendar_day, name="calendar-day"),
]

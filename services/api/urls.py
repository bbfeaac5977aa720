from django.urls import path

from services.api import calendar, catalogue, exports, supervision
from services.api import requests as r
from services.api import reveal as reveal_api

urlpatterns = [
    path("service-types/", catalogue.ServiceTypeList.as_view(), name="api-service-types"),
    path("calendar/", calendar.CalendarYear.as_view(), name="api-calendar"),
    path("calendar/<str:day>/", calendar.CalendarDayUpdate.as_view(), name="api-calendar-day"),
    path("service-requests/", r.RequestListCreate.as_view(), name="api-service-requests"),
    path("service-requests/<str:number>/", r.RequestDetail.as_view(), name="api-service-request"),
    path("service-requests/<str:number>/accept/", r.accept),
    path("service-requests/<str:number>/assign/", r.assign),
    path("service-requests/<str:number>/request-info/", r.request_info),
    path("service-requests/<str:number>/supply-info/", r.supply_info),
    path("service-requests/<str:number>/resolve/", r.resolve),
    path("service-requests/<str:number>/reject/", r.reject),
    path("service-requests/<str:number>/transfer/", r.transfer),
    path("service-requests/<str:number>/withdraw/", r.withdraw),
    path("service-requests/<str:number>/rate/", r.rate),
    path("service-requests/<str:number>/followup/close/", r.FollowUpClose.as_view()),
    path("service-requests/<str:number>/comments/", r.CommentCreate.as_view()),
    path("service-requests/<str:number>/reveal/", reveal_api.RequestReveal.as_view()),
    path("service-requests/<str:number>/attachments/", r.AttachmentCreate.as_view()),
    path("attachments/<int:pk>/", r.AttachmentDownload.as_view(), name="api-attachment"),
    path("sla/summary/", supervision.SlaSummary.as_view(), name="api-sla-summary"),
    path("sla/overdue/", supervision.SlaOverdue.as_view(), name="api-sla-overdue"),
    path("sla/export/", supervision.SlaExport.as_view(), name="api-sla-export"),
    path("exports/", exports.ExportCreate.as_view(), name="api-exports"),
    path("exports/<int:pk>/", exports.ExportDetail.as_view(), name="api-export"),
    path(
        "exports/<int:pk>/download/", exports.ExportDownload.as_view(), name="api-export-download"
    ),
]

from django.urls import path

from services.api import calendar, catalogue

urlpatterns = [
    path("service-types/", catalogue.ServiceTypeList.as_view(), name="api-service-types"),
    path("calendar/", calendar.CalendarYear.as_view(), name="api-calendar"),
    path("calendar/<str:day>/", calendar.CalendarDayUpdate.as_view(), name="api-calendar-day"),
]

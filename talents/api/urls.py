"""URLs of the talents API (API.md "人才信息库 and 一对一联系服务"), under /api/v1/."""

from django.urls import path

from talents.api import views as v

urlpatterns = [
    path("me/profile/", v.MyProfile.as_view(), name="api-my-profile"),
    path("talent-stats/", v.TalentStats.as_view(), name="api-talent-stats"),
    path("cards/<str:number>/liaison/", v.CardLiaison.as_view(), name="api-card-liaison"),
    path("liaisons/", v.LiaisonList.as_view(), name="api-liaisons"),
    path("visits/", v.VisitListCreate.as_view(), name="api-visits"),
    path("concerns/<int:pk>/confirm/", v.confirm, name="api-concern-confirm"),
    path("concerns/<int:pk>/decline/", v.decline, name="api-concern-decline"),
    path("concerns/<int:pk>/resolve/", v.resolve, name="api-concern-resolve"),
    path("liaison-coverage/", v.LiaisonCoverage.as_view(), name="api-liaison-coverage"),
]

from django.urls import path

from cards.api import views as v
from cards.api.keep import CardMineCertificate
from cards.api.reveal import ApplicationReveal

urlpatterns = [
    path("card-criteria/", v.CriteriaList.as_view(), name="api-card-criteria"),
    path("card-applications/", v.ApplicationListCreate.as_view(), name="api-card-applications"),
    path("card-applications/<int:pk>/", v.ApplicationDetail.as_view(), name="api-card-application"),
    path(
        "card-applications/<int:pk>/documents/",
        v.DocumentUpload.as_view(),
        name="api-application-documents",
    ),
    path(
        "card-applications/<int:pk>/documents/<int:doc_pk>/",
        v.DocumentDetail.as_view(),
        name="api-application-document",
    ),
    path("card-applications/<int:pk>/submit/", v.ApplicationSubmit.as_view()),
    path("card-applications/<int:pk>/return/", v.application_return),
    path("card-applications/<int:pk>/approve/", v.application_approve),
    path("card-applications/<int:pk>/reject/", v.application_reject),
    path("card-applications/<int:pk>/reveal/", ApplicationReveal.as_view()),
    path("cards/", v.CardList.as_view(), name="api-cards"),
    path("cards/mine/", v.CardMine.as_view(), name="api-card-mine"),
    path("cards/mine/qr/", v.CardMineQr.as_view(), name="api-card-mine-qr"),
    path(
        "cards/mine/certificate/",
        CardMineCertificate.as_view(),
        name="api-card-mine-certificate",
    ),
    path("cards/verify/", v.CardVerify.as_view(), name="api-card-verify"),
    path("cards/<str:number>/suspend/", v.card_suspend),
    path("cards/<str:number>/revoke/", v.card_revoke),
    path("cards/<str:number>/reinstate/", v.card_reinstate),
]

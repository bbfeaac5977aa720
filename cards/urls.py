"""Pages of the card layer (talent, organization department, verifier)."""

from django.urls import path

from cards.views import keep, manage, photos, talent, verify

app_name = "cards"

urlpatterns = [
    # Talent. The domain's notifications link to /card/ and /card/applications/<id>/.
    path("card/", talent.card_home, name="home"),
    path("card/qr/", talent.card_qr, name="qr"),
    # The holder's photo, for the holder and admins.
    path("card/photos/<str:number>/", photos.card_photo, name="card-photo"),
    # Keeping the card: the holder's e-certificate and phone image (cards.keep).
    path("cards/mine/certificate.pdf", keep.card_certificate, name="certificate"),
    path("cards/mine/card.png", keep.card_image, name="card-image"),
    path("card/apply/", talent.apply, name="apply"),
    path("card/applications/<int:pk>/", talent.application_detail, name="application"),
    path("card/applications/<int:pk>/edit/", talent.application_edit, name="application-edit"),
    path(
        "card/applications/<int:pk>/submit/", talent.application_submit, name="application-submit"
    ),
    path("card/applications/<int:pk>/documents/", talent.document_upload, name="document-upload"),
    path(
        "card/applications/<int:pk>/documents/<int:doc_pk>/",
        talent.document_download,
        name="document",
    ),
    path(
        "card/applications/<int:pk>/documents/<int:doc_pk>/delete/",
        talent.document_delete,
        name="document-delete",
    ),
    # Organization department.
    path("manage/applications/", manage.review_queue, name="queue"),
    path("manage/applications/<int:pk>/", manage.review_detail, name="review"),
    path("manage/applications/<int:pk>/approve/", manage.review_approve, name="review-approve"),
    path("manage/applications/<int:pk>/return/", manage.review_return, name="review-return"),
    path("manage/applications/<int:pk>/reject/", manage.review_reject, name="review-reject"),
    path("manage/applications/<int:pk>/reveal/", manage.review_reveal, name="review-reveal"),
    path("manage/cards/", manage.card_list, name="cards"),
    path("manage/cards/<str:number>/", manage.card_detail, name="card"),
    path("manage/cards/<str:number>/suspend/", manage.card_suspend, name="card-suspend"),
    path("manage/cards/<str:number>/revoke/", manage.card_revoke, name="card-revoke"),
    path("manage/cards/<str:number>/reinstate/", manage.card_reinstate, name="card-reinstate"),
    # Service-point verifiers.
    path("verify/", verify.verify, name="verify"),
    # The photo a valid verification shows, by its signed 120-second URL (no sign-in).
    path("verify/photos/<str:token>/", photos.signed_photo, name="verify-photo"),
    # The public page an e-certificate's QR code points at (no sign-in; validity and tier only).
    path("v/<slug:ref>/", keep.public_verify, name="public-verify"),
]

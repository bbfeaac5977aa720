"""GET /api/v1/cards/mine/certificate/: the holder's PDF e-certificate (cards.keep,
cards.certificate), as an attachment."""

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from cards import keep
from cards.api.views import IsTalent
from cards.certificate import certificate_pdf
from cards.views.keep import certificate_filename, file_response
from portal.api.downloads import FileNegotiation
from portal.api.responses import conflict, error, file_download
from portal.audit import client_ip


class CardMineCertificate(APIView):
    permission_classes = [IsTalent]
    content_negotiation_class = FileNegotiation  # Accept: application/pdf gets the file

    @extend_schema(
        summary="下载我的优才卡电子证书（PDF，附件）",
        description="持卡人本人，优才卡有效时。证书上的二维码指向公开核验页 /v/{ref}/，"
        "该页只显示卡片是否有效、人才层次和有效期。",
        responses={
            **file_download(("application/pdf",), "PDF 电子证书（A4 一页），作为附件下载"),
            404: error("您还没有优才卡"),
            409: conflict("优才卡已暂停、注销或过期，不能下载电子证书"),
        },
        tags=["cards"],
    )
    def get(self, request):
        card = keep.card_to_keep(request.user, "certificate")
        body = certificate_pdf(card)
        keep.record_download(card, "certificate", actor=request.user, ip=client_ip(request))
        return file_response(
            body, content_type="application/pdf", filename=certificate_filename(card)
        )

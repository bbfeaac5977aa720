"""POST /api/v1/service-requests/{number}/reveal/: the applicant's full personal information
for the request's handlers, with a stated purpose (services.reveal.request_reveal)."""

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from portal.api.access import REVEAL_ERRORS, RevealInput, RevealOutput, reveal_input, revealed
from portal.audit import client_ip
from services.api.requests import RequestRoles, request_for
from services.reveal import request_reveal


class RequestReveal(APIView):
    permission_classes = [RequestRoles]

    @extend_schema(
        summary="查看申请人完整信息（须说明目的，留痕，申请人可查）",
        request=RevealInput,
        responses={200: RevealOutput, **REVEAL_ERRORS},
        tags=["service-requests"],
    )
    def post(self, request, number: str):
        req = request_for(request, number)  # 404 before 403: visibility first
        values = request_reveal(
            req=req, actor=request.user, purpose=reveal_input(request), ip=client_ip(request)
        )
        return revealed(values)

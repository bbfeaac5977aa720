"""POST /api/v1/card-applications/{id}/reveal/: the applicant's full personal information
for the organization department, with a stated purpose (cards.reveal.application_reveal)."""

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from cards.api.views import TalentOrAdmin, application_for
from cards.reveal import application_reveal
from portal.api.access import REVEAL_ERRORS, RevealInput, RevealOutput, reveal_input, revealed
from portal.audit import client_ip


class ApplicationReveal(APIView):
    # Everyone an application can be visible to: visibility answers 404 first, then the
    # domain's 403 (a talent may not "reveal" their own application).
    permission_classes = [TalentOrAdmin]

    @extend_schema(
        summary="查看申请人完整信息（组织部人才办；须说明目的，留痕，申请人可查）",
        request=RevealInput,
        responses={200: RevealOutput, **REVEAL_ERRORS},
        tags=["cards"],
    )
    def post(self, request, pk: int):
        application = application_for(request, pk)
        values = application_reveal(
            application=application,
            actor=request.user,
            purpose=reveal_input(request),
            ip=client_ip(request),
        )
        return revealed(values)

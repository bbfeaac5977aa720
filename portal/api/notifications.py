"""The caller's in-app inbox (API.md "Supervision": /api/v1/notifications/)."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.models import Notification
from portal.notify import notification_mark_read, notifications_mark_all_read


class NotificationOutput(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["unread"]


@extend_schema(summary="我的站内消息", tags=["notifications"])
class NotificationList(generics.ListAPIView):
    serializer_class = NotificationOutput
    filterset_class = NotificationFilter

    def get_queryset(self):
        return Notification.objects.visible_to(self.request.user)


class NotificationRead(APIView):
    @extend_schema(
        summary="标记为已读",
        request=None,
        responses={204: OpenApiResponse(description="已标为已读")},
        tags=["notifications"],
    )
    def post(self, request, pk: int):
        notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
        notification_mark_read(notification=notification)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationReadAll(APIView):
    @extend_schema(
        summary="全部标为已读",
        description="把本人所有未读站内消息标为已读（已读的保留原已读时间）。",
        request=None,
        responses={204: OpenApiResponse(description="已全部标为已读")},
        tags=["notifications"],
    )
    def post(self, request):
        notifications_mark_all_read(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Small request bodies that several apps' commands share."""

from rest_framework import serializers


class NoteInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonInput(serializers.Serializer):
    # Blank passes here so that the domain function answers with its own Chinese message.
    reason = serializers.CharField(allow_blank=True)

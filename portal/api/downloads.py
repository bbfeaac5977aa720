"""Views that answer a file (uploads, exports): the file is what it is, whatever the client's
``Accept`` asks for. DRF's default negotiation would refuse ``Accept: text/csv`` or
``Accept: application/pdf`` with 406 before the view runs, because the API's only renderer
writes JSON; here the JSON renderer is chosen for the error answers and the view returns the
file itself."""

from rest_framework.negotiation import DefaultContentNegotiation


class FileNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

from rest_framework import pagination

from portal.paging import CountedPaginator


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N``, 20 a page, ``page_size`` up to 100 (API.md conventions).

    A view may say how its list is counted (``list_count(queryset)``: an exact number from the
    rollups, or None to count): otherwise lists are counted up to portal.paging.CAP rows, and
    past it the answer says ``"count_capped": true`` (``count`` is then the cap)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = CountedPaginator

    def paginate_queryset(self, queryset, request, view=None):
        counter = getattr(view, "list_count", None)
        given = counter(queryset) if counter is not None else None

        def make(object_list, per_page):
            return CountedPaginator(object_list, per_page, count=given)

        self.django_paginator_class = make
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        if self.page.paginator.capped:
            response.data["count_capped"] = True
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "列表超过 10000 条时为 true，count 为 10000（不再逐条计数）",
        }
        return schema

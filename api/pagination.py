from rest_framework.pagination import CursorPagination


class CreatedCursorPagination(CursorPagination):
    """Cursor pagination, newest first unless a view names another unique-enough ordering."""

    ordering = "-created_at"
    page_size_query_param = "page_size"
    max_page_size = 200


class CodeCursorPagination(CursorPagination):
    """For reference lists keyed by a unique code (agencies)."""

    ordering = "code"
    page_size_query_param = "page_size"
    max_page_size = 200

"""Request body parsers of the admin API: DRF's, made safe against hostile JSON.

Python's JSON decoder recurses once per nesting level, so a body of 100,000 brackets raises
`RecursionError`, which DRF's parser does not catch (a 500). Here it is a 400 `BAD_REQUEST`
like any other malformed body. The body size limit (`DATA_UPLOAD_MAX_MEMORY_SIZE`) is checked
by Django when the body is read; `errors.exception_handler` answers it with 413.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None

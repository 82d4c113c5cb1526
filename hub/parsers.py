"""Request parsers. Kept apart from hub.api: DRF imports parsers while hub.api imports DRF."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a body nested too deeply for Python answered as a parse error."""

    def parse(self, stream, media_type=None, parser_context=None):  # noqa: ANN001, ANN201
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None

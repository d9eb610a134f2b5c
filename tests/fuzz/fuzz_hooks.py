"""Schemathesis hooks (SCHEMATHESIS_HOOKS=fuzz_hooks): the roster upload
takes text/csv, which schemathesis cannot send by itself; generated strings
are sent as the body's bytes."""

import schemathesis


class TextSerializer:
    def as_requests(self, context, value):
        return {"data": str(value).encode("utf-8", "surrogatepass")}

    def as_werkzeug(self, context, value):
        return {"data": str(value).encode("utf-8", "surrogatepass")}


schemathesis.serializer("text/csv")(TextSerializer)
schemathesis.serializer("text/calendar")(TextSerializer)

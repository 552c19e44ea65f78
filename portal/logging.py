"""Logging filter that keeps BSNs out of every log line (DOMAIN.md §6)."""

import logging
import re

# Any run of exactly nine digits could be a BSN; log lines never need one.
_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")


def redact_bsn(text: str) -> str:
    return _NINE_DIGITS.sub("*********", text)


class RedactBsnFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_bsn(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True

"""The masking of secret-named values: every name it knows is caught, in every shape it is written."""

from __future__ import annotations

import re

import pytest

from hub import redaction
from hub.redaction import MASK, mask_text

NAMES = re.search(r"\(\?:(.*?)\)", redaction._NAME).group(1).split("|")  # type: ignore[union-attr]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", ['{{"{name}": "s3cr3t-value"}}', "{name}=s3cr3t-value&x=1", "{Name}: s3cr3t-value"])
def test_every_secret_name_is_masked_whatever_its_case(name, shape):
    text = shape.format(name=name, Name=name.upper())
    masked = mask_text(text)
    assert "s3cr3t-value" not in masked
    assert MASK in masked


@pytest.mark.parametrize("text", ['{"pa\u017f\u017fword": "s3cr3t-value"}', "\u212aey=s3cr3t-value",
                                  "s\u0131g=s3cr3t-value", '{"s\u0130g": "s3cr3t-value"}',
                                  "S\u0130GNATURE=s3cr3t-value"],
                         ids=["long-s", "kelvin-sign", "dotless-i", "dotted-capital-i", "dotted-capital-i-upper"])
def test_a_name_that_matches_a_secret_name_only_case_blind_is_masked_too(text):
    # A letter the case-blind pass takes for another (ſ for s, the Kelvin sign for k, ı and İ for i).
    assert "s3cr3t-value" not in mask_text(text)


def test_an_auth_header_echoed_back_is_masked():
    assert mask_text("Authorization: Bearer abc.def-123") == "Authorization: Bearer ***"
    assert "dXNlcjpwYXNz" not in mask_text("basic Basic dXNlcjpwYXNz")


def test_a_known_secret_is_masked_in_each_written_form_and_other_text_kept():
    secret = 'p/ss"word 1'
    text = f'raw {secret} json {secret.replace(chr(34), chr(92) + chr(34))} url p%2Fss%22word%201 plain ok'
    assert mask_text(text, [secret]) == "raw *** json *** url *** plain ok"
    assert mask_text("nothing to hide here", [secret]) == "nothing to hide here"

"""The bounds on every call to the storage: ours by default, a profile's own where it sets them."""

from __future__ import annotations

import pytest

import msc_notebook as msc
from msc_notebook.core._bounds import StorageBounds


def test_the_defaults_give_up_on_a_stalled_call_within_a_minute():
    bounds = StorageBounds.from_options({}, "profile 'p'")
    assert bounds == StorageBounds(connect_timeout=5, read_timeout=15, attempts=3, retry_mode="standard")
    backoff = sum(2**n for n in range(bounds.attempts - 1))  # botocore's standard mode: at most 1 s, then 2 s
    assert bounds.attempts * bounds.read_timeout + backoff < 60


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"connect_timeout": 2, "read_timeout": 7.5}, StorageBounds(2, 7.5, 3)),
        ({"retries": {"max_attempts": 4}}, StorageBounds(attempts=5)),  # botocore: retries after the first try
        ({"retries": {"total_max_attempts": 2, "mode": "adaptive"}}, StorageBounds(attempts=2, retry_mode="adaptive")),
        ({"retries": {"max_attempts": 0}}, StorageBounds(attempts=1)),
    ],
)
def test_a_profiles_own_options_win(options, expected):
    assert StorageBounds.from_options(options, "profile 'p'") == expected


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"read_timeout": "soon"}, "read_timeout must be a number of seconds"),
        ({"connect_timeout": -1}, "connect_timeout must be a number of seconds"),
        ({"retries": {"max_attempts": 2.5}}, "retries.max_attempts must be a whole number"),
        ({"retries": 3}, "retries must be a mapping"),
    ],
)
def test_bad_bounds_are_a_config_error_naming_the_option(options, words):
    with pytest.raises(msc.ConfigError, match=words) as caught:
        StorageBounds.from_options(options, "profile 'p'")
    assert str(caught.value).startswith("profile 'p': ")
